/**
 * Signed OCSP responses (RFC 6960 §4.2). The status service pre-signs one per serial with a delegated
 * responder key and refreshes it; the tbsResponseData is built with @peculiar/asn1-ocsp, and the signed bytes
 * are placed into the BasicOCSPResponse verbatim so what was signed is exactly what is sent.
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { CertStatus, ResponderID, ResponseData, RevokedInfo, SingleResponse } from '@peculiar/asn1-ocsp';
import { CRLReason, Name } from '@peculiar/asn1-x509';
import { QtError } from '@qoltanba/errors';
import { bytesEqual, toArrayBuffer, type Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import { algorithmIdentifierDer, digest, type Signer } from '../crypto/index.ts';
import { readCertificateMemo, type CertificateFacts, type CertificateInput } from '../path/certificate.ts';
import { contextTag, TAG } from '../der/read.ts';
import { checkDate, enumerated, objectIdentifier, octetString, sequence, tlv } from '../der/write.ts';
import { crlReasonCode } from '../crl/reasons.ts';
import { toAsnCertId } from './cert-id.ts';
import { nonceExtension } from './nonce.ts';
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
  const responderID = responder.byKey
    ? new ResponderID({ byKey: new OctetString(toArrayBuffer(await responderKeyHash(responderCert))) })
    : new ResponderID({ byName: AsnConvert.parse(toArrayBuffer(responderCert.subjectDer), Name) });
  const data = new ResponseData({
    responderID,
    producedAt: wholeSeconds(options.producedAt, 'producedAt'),
    responses: options.responses.map(singleResponse),
  });
  if (options.nonce) data.responseExtensions = [nonceExtension(options.nonce)];

  const tbs = new Uint8Array(AsnConvert.serialize(data));
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

function singleResponse(r: OcspSingleResponse): SingleResponse {
  const certStatus = new CertStatus();
  if (r.status === 'good') certStatus.good = null;
  else if (r.status === 'unknown') certStatus.unknown = null;
  else if (r.status === 'revoked') {
    certStatus.revoked = new RevokedInfo({ revocationTime: wholeSeconds(r.revokedAt, 'revokedAt') });
    if (r.reason && r.reason !== 'unspecified') certStatus.revoked.revocationReason = new CRLReason(crlReasonCode(r.reason));
  } else {
    throw new QtError('QT_ERR_INPUT_INVALID', `"${String((r as { status: unknown }).status)}" is not an OCSP certificate status`);
  }
  const thisUpdate = wholeSeconds(r.thisUpdate, 'thisUpdate');
  const single = new SingleResponse({ certID: toAsnCertId(r.certId), certStatus, thisUpdate });
  if (r.nextUpdate) {
    single.nextUpdate = wholeSeconds(r.nextUpdate, 'nextUpdate');
    if (single.nextUpdate <= thisUpdate) throw new QtError('QT_ERR_INPUT_INVALID', 'nextUpdate must be later than thisUpdate');
  }
  return single;
}

/** GeneralizedTime without fractions (RFC 5280 §4.1.2.5.2 style; some clients reject fractional seconds). */
function wholeSeconds(date: Date, what: string): Date {
  const d = checkDate(date, what);
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}
