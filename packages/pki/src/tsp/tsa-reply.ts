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
import { PKI_FAILURE_BITS, PKI_STATUS, type PkiFailureInfo } from './asn1.ts';

// The one PKIStatus list and PKIFailureInfo bit table (asn1.ts): the client reads replies with them, we write ours.
const REJECTION = PKI_STATUS.indexOf('rejection');

const failureByCode: Partial<Record<QtErrorCode, PkiFailureInfo>> = {
  QT_ERR_TSP_REQUEST_MALFORMED: 'badDataFormat',
  QT_ERR_TOO_LARGE: 'badDataFormat',
  QT_ERR_TSP_REQUEST_VERSION: 'badRequest',
  QT_ERR_TSP_HASH_UNSUPPORTED: 'badAlg',
  QT_ERR_TSP_POLICY_UNACCEPTED: 'unacceptedPolicy',
  QT_ERR_TSP_EXTENSION_UNACCEPTED: 'unacceptedExtension',
  QT_ERR_TSA_CLOCK_UNTRUSTED: 'timeNotAvailable',
};

export function tsaFailureFor(code: QtErrorCode): PkiFailureInfo {
  return failureByCode[code] ?? 'systemFailure';
}

/** The TimeStampResp of a granted request around its token (a ContentInfo). */
export function tsaGrantedReply(token: Uint8Array): Bytes {
  return sequence(GRANTED, token);
}
const GRANTED = sequence(integer(PKI_STATUS.indexOf('granted')));

/**
 * A refusal: status rejection, the failure bit for `code`, and `text` (the code and a plain sentence, for
 * the person reading a client's log; it never carries anything the client did not send).
 */
export function tsaRefusalReply(code: QtErrorCode, text: string): Bytes {
  const freeText = sequence(tlv(0x0c, utf8(`${code}: ${text}`)));
  return sequence(sequence(integer(REJECTION), freeText, failureBits(PKI_FAILURE_BITS[tsaFailureFor(code)])));
}

/** A named-bit BIT STRING with one bit set; DER drops trailing zero bits. */
function failureBits(bit: number): Bytes {
  const octets = Math.floor(bit / 8) + 1;
  const out = new Uint8Array(1 + octets);
  out[0] = 7 - (bit % 8);
  out[octets] = 0x80 >> (bit % 8);
  return tlv(TAG.bitString, out);
}
