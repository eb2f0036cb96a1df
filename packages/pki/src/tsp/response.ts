/**
 * RFC 3161 TimeStampResp: the TSA's status (granted, or rejection with failInfo such as badAlg,
 * unacceptedPolicy, timeNotAvailable) and, when granted, the token. `acceptTimeStampResponse` also checks
 * that the token answers the request that was sent (imprint, nonce, policy, certificate included).
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { QtError } from '@qoltanba/errors';
import { bytesEqual, derFrom, toArrayBuffer, toHex, type Bytes } from '../encoding.ts';
import { minimalInteger } from '../cms/certificates.ts';
import { PKI_FAILURE_BITS, PKI_STATUS, TimeStampResp, type PkiFailureInfo, type PkiStatus } from './asn1.ts';
import type { TimeStampRequest } from './request.ts';
import { readTimeStampToken, type TimeStampInfo } from './token.ts';

export interface TimeStampResponse {
  status: PkiStatus;
  /** The TSA's own words (PKIFreeText), when it gave any. */
  statusText: string[];
  /** The failure reasons RFC 3161 names that are set (unknown bits are listed as bit numbers). */
  failInfo: (PkiFailureInfo | number)[];
  /** DER of the token, when granted. */
  token: Bytes | undefined;
  info: TimeStampInfo | undefined;
}

export function readTimeStampResponse(input: Uint8Array | string): TimeStampResponse {
  let resp: TimeStampResp;
  let der: Bytes;
  try {
    der = derFrom(input);
    resp = AsnConvert.parse(toArrayBuffer(der), TimeStampResp);
  } catch (e) {
    throw new QtError('QT_ERR_TSP_MALFORMED', `The time-stamp response is malformed: ${(e as Error).message}`, undefined, { cause: e });
  }
  const status = PKI_STATUS[resp.status.status];
  if (!status) throw new QtError('QT_ERR_TSP_MALFORMED', `The time-stamp response has the unknown status ${resp.status.status}`);
  const failInfo = failureBits(resp.status.failInfo ? { unused: resp.status.failInfo.unusedBits, bytes: new Uint8Array(resp.status.failInfo.value) } : undefined);
  const granted = status === 'granted' || status === 'grantedWithMods';
  if (granted !== (resp.timeStampToken !== undefined)) {
    throw new QtError('QT_ERR_TSP_MALFORMED', granted ? 'The TSA granted the request but sent no token' : `The TSA answered "${status}" and still sent a token`);
  }
  const token = resp.timeStampToken ? new Uint8Array(resp.timeStampToken) : undefined;
  return { status, statusText: resp.status.statusString ?? [], failInfo, token, info: token ? readTimeStampToken(token).info : undefined };
}

function failureBits(bits: { unused: number; bytes: Uint8Array } | undefined): (PkiFailureInfo | number)[] {
  if (!bits) return [];
  const names = new Map<number, PkiFailureInfo>(Object.entries(PKI_FAILURE_BITS).map(([k, v]) => [v, k as PkiFailureInfo]));
  const out: (PkiFailureInfo | number)[] = [];
  const total = bits.bytes.length * 8 - bits.unused;
  for (let i = 0; i < total; i++) {
    if (((bits.bytes[i >> 3] as number) & (0x80 >> (i & 7))) !== 0) out.push(names.get(i) ?? i);
  }
  return out;
}

/**
 * The token of a response, checked against the request it answers (RFC 3161 §2.4.2): granted, the same
 * imprint and hash, the nonce echoed, the requested policy, and the TSA certificate when certReq asked for
 * it. A refusal is QT_ERR_TSP_REFUSED with the TSA's failInfo and text; the token's signature and the TSA's
 * chain are check.ts's job.
 */
export function acceptTimeStampResponse(response: Uint8Array | string | TimeStampResponse, request: TimeStampRequest): { token: Bytes; info: TimeStampInfo } {
  const r = typeof response === 'string' || response instanceof Uint8Array ? readTimeStampResponse(response) : response;
  if (!r.token || !r.info) {
    const why = [r.failInfo.join(', '), r.statusText.join(' ')].filter(Boolean).join(': ');
    throw new QtError('QT_ERR_TSP_REFUSED', `The TSA refused the time-stamp request (${r.status}${why ? `: ${why}` : ''})`, {
      status: r.status,
      failInfo: r.failInfo,
      statusText: r.statusText,
    });
  }
  const info = r.info;
  if (info.messageImprint.hashAlgorithm.oid !== request.hashOid || !bytesEqual(info.messageImprint.hashedMessage, request.imprint)) {
    throw new QtError('QT_ERR_TSP_IMPRINT_MISMATCH', 'The TSA stamped other data than was asked (the message imprint differs from the request)');
  }
  const sent = request.nonce ? toHex(minimalInteger(request.nonce)) : undefined;
  if (sent !== info.nonce) {
    throw new QtError('QT_ERR_TSP_NONCE_MISMATCH', sent ? (info.nonce ? 'The token carries another nonce than the request' : 'The token carries no nonce though the request had one') : 'The token carries a nonce the request did not have');
  }
  if (request.policy && info.policy !== request.policy) {
    throw new QtError('QT_ERR_TSP_REFUSED', `The TSA stamped under policy ${info.policy}, not the requested ${request.policy}`, { policy: info.policy });
  }
  if (request.certReq && !info.signer?.certificate) {
    throw new QtError('QT_ERR_TSP_MALFORMED', "The request asked for the TSA's certificate (certReq) but the token does not carry it");
  }
  return { token: r.token, info };
}
