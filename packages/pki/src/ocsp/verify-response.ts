/**
 * Relying-party check of an OCSP response (RFC 6960 §3.2, §4.2.2.2): who signed it and whether they may,
 * the signature, that it speaks about this CA's certificates, the nonce, and freshness "as of" a time.
 */
import { QtError } from '@qoltanba/errors';
import { bytesEqual, type Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import { digest, verifySignature } from '../crypto/index.ts';
import { namesMatch, readCertificate, readCertificateMemo, type CertificateFacts, type CertificateInput } from '../path/certificate.ts';
import { certIdIsFor, computeIssuerHashes } from './cert-id.ts';
import { parseOcspResponse, type OcspBasicResponse, type ParsedOcspResponse } from './parse-response.ts';
import type { OcspSingleResponse } from './types.ts';

export interface VerifyOcspOptions {
  /** The CA whose certificates the response is about. */
  issuer: CertificateInput;
  /** Judge signatures, responder validity and freshness as of this time (default: now). */
  at?: Date | undefined;
  /** The nonce sent in the request; the response must echo it (QT_ERR_OCSP_NONCE_MISMATCH). */
  nonce?: Uint8Array | undefined;
  /** For responses without nextUpdate: how old thisUpdate may be. Unset: any age. */
  maxAgeSeconds?: number | undefined;
  /** Tolerated clock difference between responder and relying party (default 300 s, like OpenSSL). */
  clockSkewSeconds?: number | undefined;
}

export interface OcspVerdict {
  producedAt: Date;
  responder: { subject: string; serial: string; delegated: boolean };
  responses: OcspSingleResponse[];
  nonce: Bytes | undefined;
}

/**
 * Verifies a DER OCSP response and returns what it says. Throws QT_ERR_OCSP_MALFORMED,
 * QT_ERR_OCSP_UNSUCCESSFUL, QT_ERR_OCSP_RESPONDER_UNAUTHORIZED, QT_ERR_SIGNATURE_INVALID,
 * QT_ERR_ALGORITHM_UNSUPPORTED (GOST, for now), QT_ERR_OCSP_NONCE_MISMATCH or QT_ERR_OCSP_STALE.
 */
export async function verifyOcspResponse(response: Uint8Array | string | ParsedOcspResponse, options: VerifyOcspOptions): Promise<OcspVerdict> {
  const parsed = typeof response === 'string' || response instanceof Uint8Array ? parseOcspResponse(response) : response;
  return verifyParsedOcsp(parsed, readCertificate(options.issuer), options);
}

export async function verifyParsedOcsp(
  parsed: ParsedOcspResponse,
  ca: CertificateFacts,
  options: Omit<VerifyOcspOptions, 'issuer'>,
): Promise<OcspVerdict> {
  const basic = parsed.basic;
  if (parsed.status !== 'successful' || !basic) {
    throw new QtError('QT_ERR_OCSP_UNSUCCESSFUL', `The OCSP responder answered "${parsed.status}"`, { status: parsed.status });
  }
  const at = options.at ?? new Date();
  const skewMs = (options.clockSkewSeconds ?? 300) * 1000;
  const responder = await findResponder(basic, ca);
  const delegated = responder !== ca;
  if (delegated) await checkDelegation(responder, ca, at);

  const signed = await verifySignature(basic.signatureAlgorithm.oid, {
    spki: responder.spki,
    parameters: basic.signatureAlgorithm.parameters,
    data: basic.tbs,
    signature: basic.signature,
  });
  if (!signed) throw new QtError('QT_ERR_SIGNATURE_INVALID', `The OCSP response signature of "${responder.subject}" does not verify`);

  const hashes = await computeIssuerHashes(ca);
  const foreign = basic.responses.find((r) => !certIdIsFor(r.certId, hashes));
  if (foreign) {
    throw new QtError(
      'QT_ERR_OCSP_RESPONDER_UNAUTHORIZED',
      `The response speaks about serial ${foreign.certId.serial} of another CA than "${ca.subject}"`,
    );
  }
  if (options.nonce && !(basic.nonce && bytesEqual(basic.nonce, options.nonce))) {
    throw new QtError('QT_ERR_OCSP_NONCE_MISMATCH', basic.nonce ? 'The response nonce differs from the request nonce' : 'The response carries no nonce');
  }
  checkFresh(basic, at, skewMs, options.maxAgeSeconds);
  return {
    producedAt: basic.producedAt,
    responder: { subject: responder.subject, serial: responder.serial, delegated },
    responses: basic.responses,
    nonce: basic.nonce,
  };
}

/** The CA itself, or an included certificate named by the responder ID. */
async function findResponder(basic: OcspBasicResponse, ca: CertificateFacts): Promise<CertificateFacts> {
  const id = basic.responderId;
  const matches = async (c: CertificateFacts): Promise<boolean> =>
    'name' in id ? namesMatch(id.name.der, c.subjectDer) : bytesEqual(id.keyHash, await digest('SHA-1', c.publicKeyBits));
  if (await matches(ca)) return ca;
  for (const der of basic.certs) {
    // The delegated responder's certificate is in every response of its CA: read once (parseOcspResponse read it).
    const c = readCertificateMemo(der);
    if (await matches(c)) return c;
  }
  const who = 'name' in id ? `"${id.name.display}"` : 'the responder key';
  throw new QtError('QT_ERR_OCSP_RESPONDER_UNAUTHORIZED', `Neither the CA "${ca.subject}" nor an included certificate is ${who}`);
}

/** RFC 6960 §4.2.2.2: a delegated responder is issued directly by the CA and carries id-kp-OCSPSigning. */
async function checkDelegation(responder: CertificateFacts, ca: CertificateFacts, at: Date): Promise<void> {
  const refuse = (why: string): QtError =>
    new QtError('QT_ERR_OCSP_RESPONDER_UNAUTHORIZED', `The OCSP responder "${responder.subject}" ${why}`);
  if (!namesMatch(responder.issuerDer, ca.subjectDer)) throw refuse(`was not issued by "${ca.subject}"`);
  if (!responder.extKeyUsage?.includes(oid.ekuOcspSigning)) throw refuse('lacks the OCSPSigning extended key usage');
  if (responder.keyUsage && !responder.keyUsage.has('digitalSignature')) throw refuse('may not make digital signatures');
  if (at < responder.notBefore || at > responder.notAfter) {
    throw refuse(`is not valid at ${at.toISOString()} (${responder.notBefore.toISOString()} – ${responder.notAfter.toISOString()})`);
  }
  const issued = await verifySignature(responder.signatureAlgorithm.oid, {
    spki: ca.spki,
    parameters: responder.signatureAlgorithm.parameters,
    data: responder.tbs,
    signature: responder.signature,
  });
  if (!issued) throw refuse(`has a certificate signature that does not verify with "${ca.subject}"`);
}

function checkFresh(basic: OcspBasicResponse, at: Date, skewMs: number, maxAgeSeconds: number | undefined): void {
  const t = at.getTime();
  const stale = (why: string): QtError => new QtError('QT_ERR_OCSP_STALE', `The OCSP response ${why} (checked as of ${at.toISOString()})`);
  if (basic.producedAt.getTime() > t + skewMs) throw stale(`was produced later, at ${basic.producedAt.toISOString()}`);
  for (const r of basic.responses) {
    if (r.thisUpdate.getTime() > t + skewMs) throw stale(`for ${r.certId.serial} starts later, at ${r.thisUpdate.toISOString()}`);
    if (r.nextUpdate && r.nextUpdate.getTime() < t - skewMs) throw stale(`for ${r.certId.serial} expired at ${r.nextUpdate.toISOString()}`);
    if (!r.nextUpdate && maxAgeSeconds !== undefined && t - r.thisUpdate.getTime() > maxAgeSeconds * 1000 + skewMs) {
      throw stale(`for ${r.certId.serial} is older than ${maxAgeSeconds} s`);
    }
  }
}
