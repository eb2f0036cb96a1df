/**
 * Verification in time (CAdES-T/-LT/-LTA): every time-stamp of a signer is checked — the token, its imprint over
 * the right bytes (stamps.ts), the TSA's chain and EKU as of the stamp's genTime with the embedded or fetched
 * revocation data — and the earliest valid signature time-stamp becomes the time the signer is judged at. A
 * certificate that expired after that time, or was revoked after it (unless for key compromise with an
 * invalidity date before it), still gives a valid signature. Without a valid stamp the signer is judged as of
 * the requested time, as before; the verdict says which time was used and why.
 */
import * as asn1js from 'asn1js';
import { QtError, asQtError } from '@qoltanba/errors';
import { toArrayBuffer, type Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import type { SignedDataEditor } from '../cms/edit.ts';
import { readCertificate } from '../path/certificate.ts';
import { checkSignerStamp, stampsOf, type StampKind } from '../cades/stamps.ts';
import { judgeChain, type ChainPolicy } from './chain.ts';
import { checkCount } from './limits.ts';
import type { JudgedAt, TimeStampJudgement } from './types.ts';

/** The CRLs and OCSP responses a CMS carries in SignedData.crls (CAdES-LT), by kind. */
export function embeddedEvidence(revocationInfo: readonly Bytes[]): { crls: Bytes[]; ocspResponses: Bytes[] } {
  const crls: Bytes[] = [];
  const ocspResponses: Bytes[] = [];
  for (const choice of revocationInfo) {
    if (choice[0] === 0x30) {
      crls.push(choice);
      continue;
    }
    // [1] OtherRevocationInfoFormat { otherRevInfoFormat OID, otherRevInfo ANY }: only id-ri-ocsp-response is used.
    const parsed = asn1js.fromBER(toArrayBuffer(choice));
    const [format, info] = (parsed.result as { valueBlock?: { value?: asn1js.BaseBlock[] } }).valueBlock?.value ?? [];
    if (format instanceof asn1js.ObjectIdentifier && format.valueBlock.toString() === oid.riOcspResponse && info) {
      ocspResponses.push(new Uint8Array(info.valueBeforeDecodeView));
    }
  }
  return { crls, ocspResponses };
}

export async function judgeStamps(
  editor: SignedDataEditor,
  signer: number,
  content: Uint8Array | undefined,
  carried: readonly Bytes[],
  policy: ChainPolicy,
  maxStamps: number,
): Promise<TimeStampJudgement[]> {
  const stamps = stampsOf(editor, signer);
  checkCount('time-stamps on one signer', stamps.length, maxStamps);
  const out: TimeStampJudgement[] = [];
  for (const stamp of stamps) out.push(await judgeStamp(editor, signer, stamp.kind, stamp.token, content, carried, policy));
  return out;
}

async function judgeStamp(
  editor: SignedDataEditor,
  signer: number,
  kind: StampKind,
  token: Bytes,
  content: Uint8Array | undefined,
  carried: readonly Bytes[],
  policy: ChainPolicy,
): Promise<TimeStampJudgement> {
  let checked;
  try {
    checked = await checkSignerStamp(editor, signer, { kind, token }, content);
  } catch (e) {
    return { kind, valid: false, error: asQtError(e, 'QT_ERR_TSP_MALFORMED'), chain: [] };
  }
  const base = { kind, info: checked.info, genTime: checked.info.genTime, tsaCertificate: checked.tsaCertificate };
  if (checked.info.genTime > policy.at) {
    const error = new QtError('QT_ERR_TSP_INVALID', `The time-stamp was made ${checked.info.genTime.toISOString()}, after the time asked for (${policy.at.toISOString()})`);
    return { ...base, valid: false, error, chain: [] };
  }
  const verdict = await judgeChain(checked.tsaCertificate, [...checked.certificates, ...carried], {
    ...policy,
    at: checked.info.genTime,
    pastTime: true,
    purpose: 'timeStamping',
  });
  return { ...base, valid: verdict.ok, error: verdict.error, chain: verdict.chain, evidence: verdict.evidence };
}

/** The time a signer is judged at: its earliest valid signature time-stamp, else the requested time. */
export function judgedAt(stamps: readonly TimeStampJudgement[], at: Date): JudgedAt {
  const proving = stamps.filter((s) => s.kind === 'signature' && s.valid && s.genTime).sort((a, b) => (a.genTime as Date).getTime() - (b.genTime as Date).getTime())[0];
  if (proving?.genTime) {
    const tsa = proving.tsaCertificate ? readCertificate(proving.tsaCertificate).subject : 'a TSA';
    return {
      time: proving.genTime,
      basis: 'signature-time-stamp',
      reason: `the signature existed at ${proving.genTime.toISOString()}, proven by the time-stamp of "${tsa}"; the signer's certificate is judged as of then, with revocation data from then or later`,
    };
  }
  const signatureStamps = stamps.filter((s) => s.kind === 'signature');
  if (signatureStamps.length === 0) return { time: at, basis: 'requested-time', reason: 'the signature has no time-stamp, so it is judged as of the time asked for' };
  const why = signatureStamps.map((s) => s.error?.message ?? 'not valid').join('; ');
  return { time: at, basis: 'requested-time', reason: `no time-stamp of the signature is valid (${why}), so it is judged as of the time asked for` };
}
