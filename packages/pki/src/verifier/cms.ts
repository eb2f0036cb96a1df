/**
 * A CMS (CAdES) signature, judged: every signer's signature and content digest (verifyCms), every signer's
 * time-stamps (timestamps.ts), then every signer's chain with revocation — as of its earliest valid signature
 * time-stamp when it has one, else as of the requested time. CRLs and OCSP responses the CMS carries (CAdES-LT)
 * are used before anything is fetched. Input that is not a readable CMS throws (the caller's request is
 * wrong); everything else is a verdict.
 */
import { QtError, asQtError } from '@qoltanba/errors';
import { toBytes, type Bytes } from '../encoding.ts';
import { decodeCms, type DecodedCms } from '../cms/decode.ts';
import { SignedDataEditor } from '../cms/edit.ts';
import { cadesLevel } from '../cades/stamps.ts';
import { attributeValues } from '../cades/values.ts';
import { embeddedEvidence, judgedAt, judgeStamps } from './timestamps.ts';
import { inspectDecoded, type InspectedCms } from '../cms/inspect.ts';
import { verifyInspectedCms } from '../cms/verify.ts';
import { judgeChain } from './chain.ts';
import { checkCertificates, checkCount } from './limits.ts';
import { prepare } from './policy.ts';
import { summarize } from './summary.ts';
import type { DocumentVerdict, SignerVerdict, VerifyDocumentOptions } from './types.ts';

export async function verifyCmsDocument(input: Uint8Array | string, options: VerifyDocumentOptions): Promise<DocumentVerdict> {
  const { limits, at, policy } = prepare(options);
  let inspected: InspectedCms;
  let decoded: DecodedCms;
  let editor: SignedDataEditor | undefined;
  try {
    decoded = decodeCms(input, limits.maxDocumentBytes);
    inspected = inspectDecoded(decoded);
    // Only a signer with unsigned attributes can carry time-stamps: the common case reads nothing more.
    if (inspected.signers.some((x) => x.info.unsignedAttrs?.length) || decoded.revocationInfo.length) editor = SignedDataEditor.fromDecoded(decoded);
  } catch (e) {
    // Whatever a parser throws on a stranger's bytes is the bytes' fault: a malformed CMS, never a crash.
    throw asQtError(e, 'QT_ERR_CMS_MALFORMED');
  }
  const report = inspected.report;
  checkCount('signers', report.signers.length, limits.maxSigners);
  const carried = checkCertificates(report.certificates, limits);
  checkCertificates([...carried, ...policy.intermediates], limits);
  const content = options.content ? toBytes(options.content) : undefined;
  if (!report.attached && !content) throw new QtError('QT_ERR_CMS_NO_CONTENT');
  checkCount('CRLs and OCSP responses embedded', decoded.revocationInfo.length, limits.maxEmbeddedEvidence);

  let failure: QtError | undefined;
  try {
    await verifyInspectedCms(inspected, { content });
  } catch (e) {
    failure = asQtError(e, 'QT_ERR_CMS_MALFORMED');
  }
  const embedded = embeddedEvidence(decoded.revocationInfo);
  // What the document carries is evidence like what the caller brings (after it: the caller's comes first).
  const withEmbedded = { ...policy, crls: [...policy.crls, ...embedded.crls], ocspResponses: [...policy.ocspResponses, ...embedded.ocspResponses] };
  const signedContent = content ?? report.content;
  const signers: SignerVerdict[] = [];
  for (const [i, s] of report.signers.entries()) {
    const base = { certificate: s.certificate, signatureAlgorithm: s.signatureAlgorithm.name, signingTime: s.signingTime, level: editor ? cadesLevel(editor, i) : ('B' as const) };
    if (failure) {
      const index = failure.details?.['signer'];
      const error = index === undefined || index === i ? failure : notChecked(i);
      signers.push({ ...base, valid: false, error, chain: [] });
      continue;
    }
    // The older CAdES-X-L form carries validation data in this signer's certificate-values / revocation-values.
    const values = editor ? attributeValues(editor.unsignedAttributes(i)) : undefined;
    checkCount('values in certificate-values and revocation-values', (values?.certificates.length ?? 0) + (values?.crls.length ?? 0) + (values?.ocspResponses.length ?? 0), limits.maxEmbeddedEvidence);
    const signerCarried = values?.certificates.length ? checkCertificates([...carried, ...values.certificates], limits) : carried;
    const signerPolicy = values ? { ...withEmbedded, crls: [...withEmbedded.crls, ...values.crls], ocspResponses: [...withEmbedded.ocspResponses, ...values.ocspResponses] } : withEmbedded;
    const timeStamps = editor ? await judgeStamps(editor, i, signedContent, signerCarried, signerPolicy, limits.maxTimeStamps) : [];
    const when = judgedAt(timeStamps, at);
    const proven = when.basis === 'signature-time-stamp';
    const verdict = await judgeChain(s.certificate as Bytes, signerCarried, proven ? { ...signerPolicy, at: when.time, pastTime: true } : signerPolicy);
    signers.push({ ...base, valid: verdict.ok, error: verdict.error, chain: verdict.chain, timeStamps, judgedAt: when, evidence: verdict.evidence });
  }
  return summarize('cms', at, signers, { cms: { attached: report.attached, content: content ?? report.content } });
}

function notChecked(i: number): QtError {
  return new QtError('QT_ERR_SIGNATURE_INVALID', `Signer ${i + 1} was not checked: another signature of this document does not verify`, { signer: i });
}
