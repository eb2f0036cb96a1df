/**
 * The issuing CA's certificate, inspected once per CA rather than once per certificate issued: callers
 * may hand over an already inspected CertificateInfo, and DER or PEM is remembered by content in a
 * small bounded cache (a process has a handful of CAs).
 */
import { inspectCertificate, type CertificateInfo, type DerInput } from '../certificate/index.ts';
import { ContentMemo } from '../memo.ts';

const inspected = new ContentMemo<CertificateInfo>(16);

export function isCertificateInfo(input: DerInput | CertificateInfo): input is CertificateInfo {
  return typeof input === 'object' && 'tbs' in input && 'serialHex' in input;
}

export function issuerCertificateInfo(input: DerInput | CertificateInfo): CertificateInfo {
  return isCertificateInfo(input) ? input : inspected.get(input, (der) => inspectCertificate(der));
}
