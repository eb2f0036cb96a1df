/** OCSP requests (RFC 6960 §4.1): read what a client asks, and build requests for our own checks and tests. */
import { AsnConvert } from '@peculiar/asn1-schema';
import { OCSPRequest, Request, TBSRequest } from '@peculiar/asn1-ocsp';
import type { GeneralName } from '@peculiar/asn1-x509';
import { QtError } from '@qoltanba/errors';
import { toArrayBuffer, type Bytes } from '../encoding.ts';
import type { HashName } from '../crypto/index.ts';
import { displayName, namesMatch, readCertificateMemo, type CertificateInput } from '../path/certificate.ts';
import { readingAs, readWhole, TAG } from '../der/read.ts';
import { computeIssuerHashes, fromAsnCertId, makeCertId, toAsnCertId, type OcspCertId } from './cert-id.ts';
import { MAX_NONCE_BYTES, nonceExtension, readNonce } from './nonce.ts';

export interface OcspRequestInfo {
  certIds: OcspCertId[];
  nonce: Bytes | undefined;
  /** The requestorName, printed (signed requests carry it; we do not require signatures). */
  requestor: string | undefined;
  signed: boolean;
}

/** Requests are a few hundred bytes; anything far bigger is refused before parsing. */
export const MAX_OCSP_REQUEST_BYTES = 16 * 1024;
/** More certIDs than a client plausibly needs in one request (RFC 5019 clients send one). */
export const MAX_OCSP_REQUEST_CERT_IDS = 64;

/**
 * Parses a DER OCSP request. Malformed input is QT_ERR_OCSP_MALFORMED (answer malformedRequest);
 * oversized input is QT_ERR_TOO_LARGE.
 */
export function parseOcspRequest(der: Uint8Array): OcspRequestInfo {
  if (der.length > MAX_OCSP_REQUEST_BYTES) {
    throw new QtError('QT_ERR_TOO_LARGE', `The OCSP request is ${der.length} bytes; at most ${MAX_OCSP_REQUEST_BYTES} are accepted`);
  }
  return readingAs('QT_ERR_OCSP_MALFORMED', 'The OCSP request', () => {
    readWhole(der, TAG.sequence, 'OCSPRequest');
    const req = AsnConvert.parse(toArrayBuffer(der), OCSPRequest);
    const list = req.tbsRequest.requestList;
    if (list.length === 0) throw malformed('it asks about no certificate');
    if (list.length > MAX_OCSP_REQUEST_CERT_IDS) throw malformed(`it asks about ${list.length} certificates`);
    const nonce = readNonce(req.tbsRequest.requestExtensions);
    if (nonce && (nonce.length === 0 || nonce.length > MAX_NONCE_BYTES)) {
      throw malformed(`its nonce is ${nonce.length} bytes (RFC 8954 allows 1 to ${MAX_NONCE_BYTES})`);
    }
    return {
      certIds: list.map((r) => fromAsnCertId(r.reqCert)),
      nonce,
      requestor: req.tbsRequest.requestorName ? printGeneralName(req.tbsRequest.requestorName) : undefined,
      signed: req.optionalSignature !== undefined,
    };
  });
}

export interface BuildOcspRequestOptions {
  /** 1–32 bytes echoed by the responder (e.g. randomBytes(16)); omitted when absent. */
  nonce?: Uint8Array | undefined;
  /** Digest for the certID hashes; SHA-1 is what RFC 5019 responders must accept. */
  hash?: HashName | undefined;
}

/** A DER OCSP request for one certificate of `issuer`. */
export async function buildOcspRequest(
  certificate: CertificateInput,
  issuer: CertificateInput,
  options: BuildOcspRequestOptions = {},
): Promise<Bytes> {
  // Through the memo: the issuer is the same CA certificate every time, and a verifier that goes on to validate
  // the certificate's path (validatePath reads through the same memo) does not read it a second time.
  const cert = readCertificateMemo(certificate);
  const ca = readCertificateMemo(issuer);
  if (!namesMatch(cert.issuerDer, ca.subjectDer)) {
    throw new QtError('QT_ERR_INPUT_INVALID', `"${cert.subject}" was issued by "${cert.issuer}", not by "${ca.subject}"`);
  }
  const hash = options.hash ?? 'SHA-1';
  const certId = makeCertId(await computeIssuerHashes(ca, [hash]), cert.serial, hash);
  const tbsRequest = new TBSRequest({ requestList: [new Request({ reqCert: toAsnCertId(certId) })] });
  if (options.nonce) tbsRequest.requestExtensions = [nonceExtension(options.nonce)];
  return new Uint8Array(AsnConvert.serialize(new OCSPRequest({ tbsRequest })));
}

function malformed(why: string): QtError {
  return new QtError('QT_ERR_OCSP_MALFORMED', `The OCSP request is malformed: ${why}`);
}

function printGeneralName(name: GeneralName): string {
  if (name.directoryName) return displayName(new Uint8Array(AsnConvert.serialize(name.directoryName)));
  return name.rfc822Name ?? name.dNSName ?? name.uniformResourceIdentifier ?? '(other name form)';
}
