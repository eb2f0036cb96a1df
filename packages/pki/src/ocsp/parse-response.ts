/** Reads an OCSPResponse completely — status, every SingleResponse, nonce, certificates — without verifying it. */
import * as asn1js from 'asn1js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicOCSPResponse, type SingleResponse } from '@peculiar/asn1-ocsp';
import { QtError } from '@qoltanba/errors';
import { concatBytes, derFrom, toArrayBuffer, type Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import { algorithmName, type SignatureAlgorithmId } from '../crypto/index.ts';
import { displayName, readCertificateMemo } from '../path/certificate.ts';
import { childrenOf, contentOf, contextTag, elementOf, readingAs, readOid, readUnsigned, readWhole, TAG, type Tlv } from '../der/read.ts';
import { crlReasonFromCode } from '../crl/reasons.ts';
import { fromAsnCertId } from './cert-id.ts';
import { readNonce } from './nonce.ts';
import { ocspResponseStatusCodes, type OcspResponseStatus, type OcspSingleResponse } from './types.ts';

export interface OcspBasicResponse {
  /** The exact tbsResponseData bytes the responder signed. */
  tbs: Bytes;
  signatureAlgorithm: SignatureAlgorithmId & { name: string };
  signature: Bytes;
  responderId: { name: { der: Bytes; display: string } } | { keyHash: Bytes };
  producedAt: Date;
  responses: OcspSingleResponse[];
  nonce: Bytes | undefined;
  /** DER certificates the responder included (normally its own, when delegated). */
  certs: Bytes[];
}

export interface ParsedOcspResponse {
  status: OcspResponseStatus;
  /** Present exactly when status is successful. */
  basic: OcspBasicResponse | undefined;
}

/** Responses carry a few certificates at most; this bounds work on hostile input. */
export const MAX_OCSP_RESPONSE_BYTES = 64 * 1024;

/** Parses a DER (or base64/PEM) OCSP response. Anything unreadable is QT_ERR_OCSP_MALFORMED. */
export function parseOcspResponse(input: Uint8Array | string): ParsedOcspResponse {
  return readingAs('QT_ERR_OCSP_MALFORMED', 'The OCSP response', () => {
    const der = derFrom(input);
    if (der.length > MAX_OCSP_RESPONSE_BYTES) {
      throw new QtError('QT_ERR_TOO_LARGE', `The OCSP response is ${der.length} bytes; at most ${MAX_OCSP_RESPONSE_BYTES} are read`);
    }
    const outer = readWhole(der, TAG.sequence, 'OCSPResponse');
    const [statusTlv, bytesTlv, extra] = childrenOf(der, outer);
    if (!statusTlv || statusTlv.tag !== TAG.enumerated || extra) throw malformed('no response status');
    const code = Number(readUnsigned(der, statusTlv));
    const status = (Object.keys(ocspResponseStatusCodes) as OcspResponseStatus[]).find((s) => ocspResponseStatusCodes[s] === code);
    if (!status) throw malformed(`unknown response status ${code}`);
    if (status !== 'successful') {
      if (bytesTlv) throw malformed(`a ${status} response carries response bytes`);
      return { status, basic: undefined };
    }
    if (!bytesTlv || bytesTlv.tag !== contextTag(0, true)) throw malformed('a successful response without response bytes');
    const responseBytes = readWhole(contentOf(der, bytesTlv), TAG.sequence, 'ResponseBytes');
    const rb = contentOf(der, bytesTlv);
    const [typeTlv, valueTlv] = childrenOf(rb, responseBytes);
    if (!typeTlv || !valueTlv || valueTlv.tag !== TAG.octetString) throw malformed('incomplete ResponseBytes');
    const type = readOid(rb, typeTlv);
    if (type !== oid.ocspBasic) throw malformed(`response type ${type} is not id-pkix-ocsp-basic`);
    return { status, basic: readBasic(contentOf(rb, valueTlv)) };
  });
}

function readBasic(der: Bytes): OcspBasicResponse {
  const outer = readWhole(der, TAG.sequence, 'BasicOCSPResponse');
  const [tbsTlv, algTlv, , certsTlv] = childrenOf(der, outer);
  if (!tbsTlv || !algTlv) throw malformed('incomplete BasicOCSPResponse');
  // The included certificates (the delegated responder's, the same in every response of a CA) are read through
  // the certificate memo below instead of by the tree parser: the tree parser gets the signed part only.
  const basic = AsnConvert.parse(certsTlv ? withoutCerts(der, outer, certsTlv) : toArrayBuffer(der), BasicOCSPResponse);
  const data = basic.tbsResponseData;
  const algorithm = basic.signatureAlgorithm.algorithm;
  const params = childrenOf(der, algTlv)[1];
  // Names and certificates are sliced from the original bytes: re-encoding them could change what hashes cover.
  const tbsParts = childrenOf(der, tbsTlv);
  const idTlv = tbsParts[tbsParts[0]?.tag === contextTag(0, true) ? 1 : 0];
  const certList = certsTlv ? childrenOf(der, certsTlv)[0] : undefined;
  return {
    tbs: elementOf(der, tbsTlv),
    signatureAlgorithm: { oid: algorithm, parameters: params ? elementOf(der, params) : undefined, name: algorithmName(algorithm) },
    signature: new Uint8Array(basic.signature),
    responderId:
      idTlv?.tag === contextTag(1, true)
        ? { name: nameOf(elementOf(der, childrenOf(der, idTlv)[0] ?? idTlv)) }
        : { keyHash: new Uint8Array(data.responderID.byKey?.buffer ?? new ArrayBuffer(0)) },
    producedAt: data.producedAt,
    responses: data.responses.map(readSingle),
    nonce: readNonce(data.responseExtensions),
    certs: certList ? childrenOf(der, certList).map((c) => includedCertificate(elementOf(der, c))) : [],
  };
}

function withoutCerts(der: Bytes, outer: Tlv, certs: Tlv): ArrayBuffer {
  if (certs.tag !== contextTag(0, true) || certs.end !== outer.end) throw malformed('its certificates are not the last field');
  const body = der.subarray(outer.contentStart, certs.start);
  return toArrayBuffer(concatBytes(derHeader(body.length), body));
}

function derHeader(length: number): Bytes {
  if (length < 0x80) return new Uint8Array([TAG.sequence, length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return new Uint8Array([TAG.sequence, 0x80 | bytes.length, ...bytes]);
}

/** An included certificate must be readable, as when the tree parser read it (and then it is remembered). */
function includedCertificate(der: Bytes): Bytes {
  try {
    readCertificateMemo(der);
  } catch (e) {
    throw malformed(`an included certificate is unreadable (${(e as Error).message})`);
  }
  return der;
}

function nameOf(der: Bytes): { der: Bytes; display: string } {
  return { der, display: displayName(der) };
}

function readSingle(r: SingleResponse): OcspSingleResponse {
  const base = { certId: fromAsnCertId(r.certID), thisUpdate: r.thisUpdate, nextUpdate: r.nextUpdate };
  const s = r.certStatus;
  if (s.revoked) {
    const code = s.revoked.revocationReason?.reason;
    const reason = code === undefined ? undefined : crlReasonFromCode(code);
    if (code !== undefined && !reason) throw malformed(`unknown revocation reason ${code}`);
    const invalidityDate = invalidityDateOf(r);
    return { ...base, status: 'revoked', revokedAt: s.revoked.revocationTime, reason, ...(invalidityDate ? { invalidityDate } : {}) };
  }
  if (s.good !== undefined) return { ...base, status: 'good' };
  if (s.unknown !== undefined) return { ...base, status: 'unknown' };
  throw malformed('a SingleResponse without a certificate status');
}

/** The invalidityDate single extension (a GeneralizedTime), when the responder states one. */
function invalidityDateOf(r: SingleResponse): Date | undefined {
  const ext = r.singleExtensions?.find((e) => e.extnID === oid.invalidityDate);
  if (!ext) return undefined;
  const parsed = asn1js.fromBER(ext.extnValue.buffer);
  if (!(parsed.result instanceof asn1js.GeneralizedTime)) throw malformed('its invalidityDate is not a GeneralizedTime');
  return parsed.result.toDate();
}

function malformed(why: string): QtError {
  return new QtError('QT_ERR_OCSP_MALFORMED', `The OCSP response is malformed: ${why}`);
}
