/**
 * TimeStampResp framing (RFC 3161 §2.4.2) for the time-stamping authority: a granted token, or a refusal
 * whose PKIFailureInfo says why. The one place our error codes become PKIStatus / PKIFailureInfo:
 *
 *   QT_ERR_TSP_REQUEST_MALFORMED, QT_ERR_TOO_LARGE ........ badDataFormat
 *   QT_ERR_TSP_REQUEST_VERSION ............................. badRequest
 *   QT_ERR_TSP_HASH_UNSUPPORTED ............................ badAlg
 *   QT_ERR_TSP_POLICY_UNACCEPTED ........................... unacceptedPolicy
 *   QT_ERR_TSP_EXTENSION_UNACCEPTED ........................ unacceptedExtension
 *   QT_ERR_TSA_CLOCK_UNTRUSTED ............................. timeNotAvailable
 *   QT_ERR_TSA_BUSY, QT_ERR_TSA_UNAVAILABLE, anything else . systemFailure
 *
 *   TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken ContentInfo OPTIONAL }
 *   PKIStatusInfo ::= SEQUENCE { status PKIStatus, statusString PKIFreeText OPTIONAL, failInfo PKIFailureInfo OPTIONAL }
 */
import type { QtErrorCode } from '@qoltanba/errors';
import { utf8, type Bytes } from '../encoding.ts';
import { TAG } from '../der/read.ts';
import { integer, sequence, tlv } from '../der/write.ts';

export const tsaStatus = { granted: 0, grantedWithMods: 1, rejection: 2, waiting: 3 } as const;

/** PKIFailureInfo bit numbers (RFC 3161 §2.4.2). */
export const tsaFailureBit = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  systemFailure: 25,
} as const;
export type TsaFailure = keyof typeof tsaFailureBit;

const failureByCode: Partial<Record<QtErrorCode, TsaFailure>> = {
  QT_ERR_TSP_REQUEST_MALFORMED: 'badDataFormat',
  QT_ERR_TOO_LARGE: 'badDataFormat',
  QT_ERR_TSP_REQUEST_VERSION: 'badRequest',
  QT_ERR_TSP_HASH_UNSUPPORTED: 'badAlg',
  QT_ERR_TSP_POLICY_UNACCEPTED: 'unacceptedPolicy',
  QT_ERR_TSP_EXTENSION_UNACCEPTED: 'unacceptedExtension',
  QT_ERR_TSA_CLOCK_UNTRUSTED: 'timeNotAvailable',
};

export function tsaFailureFor(code: QtErrorCode): TsaFailure {
  return failureByCode[code] ?? 'systemFailure';
}

/** The TimeStampResp of a granted request around its token (a ContentInfo). */
export function tsaGrantedReply(token: Uint8Array): Bytes {
  return sequence(GRANTED, token);
}
const GRANTED = sequence(integer(tsaStatus.granted));

/**
 * A refusal: status rejection, the failure bit for `code`, and `text` (the code and a plain sentence, for
 * the person reading a client's log; it never carries anything the client did not send).
 */
export function tsaRefusalReply(code: QtErrorCode, text: string): Bytes {
  const freeText = sequence(tlv(0x0c, utf8(`${code}: ${text}`)));
  return sequence(sequence(integer(tsaStatus.rejection), freeText, failureBits(tsaFailureBit[tsaFailureFor(code)])));
}

/** A named-bit BIT STRING with one bit set; DER drops trailing zero bits. */
function failureBits(bit: number): Bytes {
  const octets = Math.floor(bit / 8) + 1;
  const out = new Uint8Array(1 + octets);
  out[0] = 7 - (bit % 8);
  out[octets] = 0x80 >> (bit % 8);
  return tlv(TAG.bitString, out);
}
