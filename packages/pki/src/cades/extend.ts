/**
 * Raising an existing CMS to CAdES-T, -LT and -LTA (ETSI EN 319 122-1/-2), signer by signer, through the
 * SignedData editor so nothing signed changes:
 *  - T: a signature time-stamp on each signer that has none (a stamp is added beside any others, never in
 *    their place); the token is checked against the request before it goes in;
 *  - LT: the certificates and the CRLs/OCSP responses that make each signer's and each TSA's chain valid now,
 *    gathered by the verifier core itself, in SignedData.certificates and SignedData.crls (see README: why these
 *    fields rather than the certificate-values/revocation-values attributes);
 *  - LTA: an archive-time-stamp-v3 with its ats-hash-index-v3 on each signer, covering all of the above.
 */
import { QtError } from '@qoltanba/errors';
import type { Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import { SignedDataEditor } from '../cms/edit.ts';
import { obtainTimeStamp, type TsaTransport } from '../tsp/index.ts';
import { timeStampHashOid } from '../tsp/request.ts';
import type { TimeStampInfo } from '../tsp/token.ts';
import { verifyCmsDocument } from '../verifier/cms.ts';
import type { DocumentVerdict, VerifyDocumentOptions } from '../verifier/types.ts';
import { archiveImprint, buildAtsHashIndex } from './archive-index.ts';
import { stampsOf } from './stamps.ts';

export interface StampingOptions {
  transport: TsaTransport;
  /** The imprint hash (default SHA-256; "Streebog-256"/"Streebog-512" for a GOST TSA). */
  hash?: string | undefined;
  /** The TSA policy to ask for. */
  policy?: string | undefined;
}

export interface AddedStamp {
  signer: number;
  kind: 'signature' | 'archive';
  info: TimeStampInfo;
}

/** CAdES-T: a signature time-stamp for every signer without one (or for `signers`, even if they have one). */
export async function addSignatureTimeStamps(cms: Uint8Array | string, options: StampingOptions & { signers?: readonly number[] | undefined }): Promise<{ cms: Bytes; added: AddedStamp[] }> {
  const editor = SignedDataEditor.open(cms);
  const chosen = options.signers ?? [...Array(editor.signerCount).keys()].filter((i) => !stampsOf(editor, i).some((s) => s.kind === 'signature'));
  const added: AddedStamp[] = [];
  for (const i of chosen) {
    const { token, info } = await obtainTimeStamp(options.transport, { data: editor.signatureValue(i), hash: options.hash, policy: options.policy });
    editor.addUnsignedAttribute(i, oid.attrTimeStampToken, token);
    added.push({ signer: i, kind: 'signature', info });
  }
  return { cms: editor.toDer(), added };
}

export interface ValidationData {
  certificates: readonly Uint8Array[];
  crls: readonly Uint8Array[];
  ocspResponses: readonly Uint8Array[];
}

/** Puts validation data into SignedData.certificates and SignedData.crls (each once). */
export function addValidationData(cms: Uint8Array | string, data: ValidationData): { cms: Bytes; added: { certificates: number; crls: number; ocspResponses: number } } {
  const editor = SignedDataEditor.open(cms);
  const added = { certificates: editor.addCertificates(data.certificates), crls: editor.addCrls(data.crls), ocspResponses: editor.addOcspResponses(data.ocspResponses) };
  return { cms: editor.toDer(), added };
}

/** What a verdict relied on: every chain certificate and every CRL/OCSP response, of the signers and of their TSAs. */
export function validationDataOf(verdict: DocumentVerdict): ValidationData {
  const certificates: Uint8Array[] = [];
  const crls: Uint8Array[] = [];
  const ocspResponses: Uint8Array[] = [];
  for (const s of verdict.signers) {
    for (const judged of [s, ...(s.timeStamps ?? [])]) {
      certificates.push(...judged.chain.map((e) => e.certificate));
      crls.push(...(judged.evidence?.crls ?? []));
      ocspResponses.push(...(judged.evidence?.ocspResponses ?? []));
    }
  }
  return { certificates, crls, ocspResponses };
}

/** CAdES-LTA: an archive-time-stamp-v3 on every signer, over everything the CMS holds now. */
export async function addArchiveTimeStamps(cms: Uint8Array | string, options: StampingOptions & { content?: Uint8Array | undefined }): Promise<{ cms: Bytes; added: AddedStamp[] }> {
  const editor = SignedDataEditor.open(cms);
  const content = editor.attachedContent() ?? options.content;
  if (!content) throw new QtError('QT_ERR_CMS_NO_CONTENT', 'The CMS is detached; the signed content is needed for an archive time-stamp');
  const hashOid = timeStampHashOid(options.hash ?? 'SHA-256');
  const added: AddedStamp[] = [];
  for (let i = 0; i < editor.signerCount; i++) {
    // Each signer's index is taken before its own stamp goes in, and after the earlier signers' (which live
    // on those signers, not on this one).
    const index = await buildAtsHashIndex(editor, i, hashOid);
    const digest = await archiveImprint(editor, i, content, hashOid, index);
    const { token, info } = await obtainTimeStamp(options.transport, { digest, hash: hashOid, policy: options.policy });
    const tokenEditor = SignedDataEditor.open(token);
    tokenEditor.addUnsignedAttribute(0, oid.attrAtsHashIndexV3, index);
    editor.addUnsignedAttribute(i, oid.attrArchiveTimeStampV3, tokenEditor.toDer());
    added.push({ signer: i, kind: 'archive', info });
  }
  return { cms: editor.toDer(), added };
}

export type ExtendLevel = 'T' | 'LT' | 'LTA';

export interface ExtendOptions extends StampingOptions {
  level: ExtendLevel;
  /** For LT and LTA: how the signature is judged now (trust, revocation sources); its evidence is what goes in. */
  verify?: VerifyDocumentOptions | undefined;
  /** The signed content of a detached CMS. */
  content?: Uint8Array | undefined;
}

export interface ExtendResult {
  cms: Bytes;
  stamps: AddedStamp[];
  validationData: { certificates: number; crls: number; ocspResponses: number } | undefined;
  /** The verdict LT relied on (valid), when LT or LTA was asked for. */
  verdict: DocumentVerdict | undefined;
}

/**
 * Extends a CMS to the level asked (each level includes the ones below). LT needs a valid signature now: a
 * verdict that is not valid is thrown as its own error, and nothing is added.
 */
export async function extendCades(cms: Uint8Array | string, options: ExtendOptions): Promise<ExtendResult> {
  const t = await addSignatureTimeStamps(cms, options);
  if (options.level === 'T') return { cms: t.cms, stamps: t.added, validationData: undefined, verdict: undefined };
  if (!options.verify) throw new QtError('QT_ERR_INPUT_INVALID', 'CAdES-LT needs the trust anchors and revocation sources to judge the signature with');
  const verdict = await verifyCmsDocument(t.cms, { ...options.verify, content: options.content ?? options.verify.content });
  if (!verdict.valid) {
    const e = verdict.error as QtError;
    throw new QtError(e.code, `The signature is not valid now, so no validation data was added: ${e.message}`, e.details);
  }
  const lt = addValidationData(t.cms, validationDataOf(verdict));
  if (options.level === 'LT') return { cms: lt.cms, stamps: t.added, validationData: lt.added, verdict };
  const lta = await addArchiveTimeStamps(lt.cms, options);
  return { cms: lta.cms, stamps: [...t.added, ...lta.added], validationData: lt.added, verdict };
}
