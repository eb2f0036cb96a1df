/**
 * Signed OCSP responses (RFC 6960 §4.2). The status service pre-signs one per serial with a delegated
 * responder key and refreshes it; the tbsResponseData is written with the package's DER writer (issue 16: the
 * generic ASN.1 serializer it replaced cost ≈ 0.3 ms of the main thread per response; `build-response.test.ts`
 * proves the bytes are the same), and the signed bytes are placed into the BasicOCSPResponse verbatim so what was
 * signed is exactly what is sent.
 */
import { QtError } from '@qoltanba/errors';
import { bytesEqual, fromHex, type Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import { algorithmIdentifierDer, digest, type Signer } from '../crypto/index.ts';
import { readCertificateMemo, type CertificateFacts, type CertificateInput } from '../path/certificate.ts';
import { contextTag, TAG } from '../der/read.ts';
import { checkDate, enumerated, extension, generalizedTime, integerFromMagnitude, objectIdentifier, octetString, sequence, tlv } from '../der/write.ts';
import { crlReasonCode } from '../crl/reasons.ts';
import type { OcspCertId } from './cert-id.ts';
import { MAX_NONCE_BYTES } from './nonce.ts';
import { ocspResponseStatusCodes, type OcspErrorStatus, type OcspSingleResponse } from './types.ts';

export interface OcspResponder {
  /** The CA itself, or a delegated responder certificate it issued with the OCSPSigning EKU. */
  certificate: CertificateInput;
  signer: Signer;
  /** Name the responder by key hash instead of by name (smaller; RFC 5019 §2.2.3). */
  byKey?: boolean | undefined;
}

export interface BuildOcspResponseOptions {
  responder: OcspResponder;
  responses: readonly OcspSingleResponse[];
  producedAt: Date;
  /** Echo of the request nonce. Pre-signed responses carry none. */
  nonce?: Uint8Array | undefined;
  /** Certificates to include; default: the responder certificate, so clients can check a delegated responder. */
  certs?: readonly CertificateInput[] | undefined;
}

/**
 * The responder's key hash (SHA-1 of its public key bits) by the remembered certificate: one digest per responder and
 * process instead of a WebCrypto job per response.
 */
const keyHashes = new WeakMap<object, Promise<Uint8Array>>();

function responderKeyHash(cert: CertificateFacts): Promise<Uint8Array> {
  let hash = keyHashes.get(cert);
  if (!hash) {
    hash = digest('SHA-1', cert.publicKeyBits);
    keyHashes.set(cert, hash);
    // A failed digest is not remembered.
    hash.catch(() => keyHashes.delete(cert));
  }
  return hash;
}

/** A successful OCSPResponse (DER) wrapping a signed BasicOCSPResponse. */
export async function buildOcspResponse(options: BuildOcspResponseOptions): Promise<Bytes> {
  const { responder } = options;
  // The same responder certificate signs every response a process makes (pre-signing batches, on-demand nonce
  // answers): read once, remembered by content, rather than parsed twice per response.
  const responderCert = readCertificateMemo(responder.certificate);
  if (!bytesEqual(responder.signer.publicKey, responderCert.spki)) {
    throw new QtError('QT_ERR_KEY_MISMATCH', 'The OCSP signer key is not the key of the responder certificate');
  }
  if (options.responses.length === 0) throw new QtError('QT_ERR_INPUT_INVALID', 'An OCSP response must answer for at least one certificate');
  // ResponderID ::= CHOICE { byName [1] Name, byKey [2] KeyHash } (explicit tags).
  const responderId = responder.byKey
    ? tlv(contextTag(2, true), octetString(await responderKeyHash(responderCert)))
    : tlv(contextTag(1, true), responderCert.subjectDer);
  const tbs = responseDataDer(responderId, options.producedAt, options.responses, options.nonce);
  const signature = await responder.signer.sign(tbs);
  const certs = (options.certs ?? [responder.certificate]).map((c) => readCertificateMemo(c).der);
  const basic = sequence(
    tbs,
    algorithmIdentifierDer(responder.signer.algorithm),
    tlv(TAG.bitString, new Uint8Array([0]), signature),
    ...(certs.length ? [tlv(contextTag(0, true), sequence(...certs))] : []),
  );
  return ocspResponseDer(0, sequence(objectIdentifier(oid.ocspBasic), octetString(basic)));
}

/** An unsigned error response (malformedRequest, internalError, tryLater, sigRequired, unauthorized). */
export function buildOcspErrorResponse(status: OcspErrorStatus): Bytes {
  const code = ocspResponseStatusCodes[status];
  if (code === undefined || code === 0) throw new QtError('QT_ERR_INPUT_INVALID', `"${String(status)}" is not an OCSP error status`);
  return ocspResponseDer(code);
}

/** OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, responseBytes [0] EXPLICIT ResponseBytes OPTIONAL } */
function ocspResponseDer(status: number, responseBytes?: Bytes): Bytes {
  return sequence(enumerated(status), ...(responseBytes ? [tlv(contextTag(0, true), responseBytes)] : []));
}

/**
 * ResponseData ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1 (left out), responderID, producedAt GeneralizedTime,
 *   responses SEQUENCE OF SingleResponse, responseExtensions [1] EXPLICIT Extensions OPTIONAL }
 */
function responseDataDer(responderId: Bytes, producedAt: Date, responses: readonly OcspSingleResponse[], nonce: Uint8Array | undefined): Bytes {
  const parts = [responderId, generalizedTime(wholeSeconds(producedAt, 'producedAt')), sequence(...responses.map(singleResponseDer))];
  if (nonce) {
    if (nonce.length < 1 || nonce.length > MAX_NONCE_BYTES) throw new QtError('QT_ERR_INPUT_INVALID', `An OCSP nonce must be 1 to ${MAX_NONCE_BYTES} bytes (RFC 8954)`);
    parts.push(tlv(contextTag(1, true), sequence(extension(oid.ocspNonce, false, octetString(nonce)))));
  }
  return sequence(...parts);
}

/**
 * SingleResponse ::= SEQUENCE { certID, certStatus, thisUpdate GeneralizedTime, nextUpdate [0] EXPLICIT GeneralizedTime OPTIONAL }
 * CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT NULL }
 */
function singleResponseDer(r: OcspSingleResponse): Bytes {
  let status: Bytes;
  if (r.status === 'good') status = new Uint8Array([contextTag(0, false), 0]);
  else if (r.status === 'unknown') status = new Uint8Array([contextTag(2, false), 0]);
  else if (r.status === 'revoked') {
    // RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
    const time = generalizedTime(wholeSeconds(r.revokedAt, 'revokedAt'));
    status = r.reason && r.reason !== 'unspecified' ? tlv(contextTag(1, true), time, tlv(contextTag(0, true), enumerated(crlReasonCode(r.reason)))) : tlv(contextTag(1, true), time);
  } else {
    throw new QtError('QT_ERR_INPUT_INVALID', `"${String((r as { status: unknown }).status)}" is not an OCSP certificate status`);
  }
  const thisUpdate = wholeSeconds(r.thisUpdate, 'thisUpdate');
  const parts = [certIdDer(r.certId), status, generalizedTime(thisUpdate)];
  if (r.nextUpdate) {
    const nextUpdate = wholeSeconds(r.nextUpdate, 'nextUpdate');
    if (nextUpdate <= thisUpdate) throw new QtError('QT_ERR_INPUT_INVALID', 'nextUpdate must be later than thisUpdate');
    parts.push(tlv(contextTag(0, true), generalizedTime(nextUpdate)));
  }
  return sequence(...parts);
}

/** CertID ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier (parameters NULL), issuerNameHash, issuerKeyHash, serialNumber } */
function certIdDer(id: OcspCertId): Bytes {
  return sequence(
    sequence(objectIdentifier(id.hashAlgorithm), new Uint8Array([TAG.null, 0])),
    octetString(id.issuerNameHash),
    octetString(id.issuerKeyHash),
    integerFromMagnitude(fromHex(id.serial.length % 2 ? `0${id.serial}` : id.serial)),
  );
}

/** GeneralizedTime without fractions (RFC 5280 §4.1.2.5.2 style; some clients reject fractional seconds). */
function wholeSeconds(date: Date, what: string): Date {
  const d = checkDate(date, what);
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}
