/**
 * RFC 3161 time-stamp tokens (a CMS over TSTInfo): what was stamped, when, by whom. Also accepts the
 * whole TimeStampResp a TSA answers with. The token's own signature is checked with verifyCms.
 */
import * as asn1js from 'asn1js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { QtError, isQtError } from '../errors.ts';
import { oid } from '../oids.ts';
import { derFrom, toArrayBuffer, toHex, type Bytes } from '../encoding.ts';
import { TAG, childrenOf, readOid, readWhole } from '../crl/der-read.ts';
import { TstInfo } from './asn1.ts';
import { minimalInteger } from './certificates.ts';
import { decodeCms } from './decode.ts';
import { digestName } from './digests.ts';
import { inspectDecoded, type AlgorithmReport, type CmsSignerReport } from './inspect.ts';

export interface TimeStampInfo {
  genTime: Date;
  /** Hex of the serial number. */
  serialNumber: string;
  policy: string;
  messageImprint: { hashAlgorithm: AlgorithmReport; hashedMessage: Bytes };
  nonce: string | undefined;
  /** Accuracy in milliseconds, when stated. */
  accuracyMs: number | undefined;
  /** The TSA's signer as the token names it (not verified here). */
  signer: CmsSignerReport | undefined;
  /** DER of the token (a ContentInfo), e.g. to hand to verifyCms. */
  token: Bytes;
}

export function parseTimeStampToken(input: Uint8Array | string): TimeStampInfo {
  let token: Bytes;
  try {
    token = tokenFrom(derFrom(input));
  } catch (e) {
    throw asTspError(e);
  }
  let inspected;
  try {
    inspected = inspectDecoded(decodeCms(token));
  } catch (e) {
    throw asTspError(e);
  }
  const { report } = inspected;
  if (report.contentType !== oid.tstInfo || !report.content) {
    throw new QtError('QT_ERR_TSP_MALFORMED', `The token's content is ${report.contentType}, not TSTInfo`);
  }
  let tst: TstInfo;
  try {
    tst = AsnConvert.parse(toArrayBuffer(report.content), TstInfo);
  } catch (e) {
    throw asTspError(e);
  }
  const accuracy = tst.accuracy;
  const hashOid = tst.messageImprint.hashAlgorithm.algorithm;
  return {
    genTime: tst.genTime,
    serialNumber: toHex(minimalInteger(new Uint8Array(tst.serialNumber))),
    policy: policyOf(report.content),
    messageImprint: {
      hashAlgorithm: { oid: hashOid, name: digestName(hashOid) },
      hashedMessage: new Uint8Array(tst.messageImprint.hashedMessage.buffer),
    },
    nonce: tst.nonce ? toHex(minimalInteger(new Uint8Array(tst.nonce))) : undefined,
    accuracyMs: accuracy ? (accuracy.seconds ?? 0) * 1000 + (accuracy.millis ?? 0) + (accuracy.micros ?? 0) / 1000 : undefined,
    signer: report.signers[0],
    token,
  };
}

/**
 * TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken ContentInfo OPTIONAL }, while a
 * token (ContentInfo) starts with an OID: the first element tells them apart.
 */
function tokenFrom(der: Bytes): Bytes {
  const parsed = asn1js.fromBER(toArrayBuffer(der));
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) {
    throw new QtError('QT_ERR_TSP_MALFORMED', 'The time-stamp token is not DER');
  }
  const [first, second] = parsed.result.valueBlock.value;
  if (!(first instanceof asn1js.Sequence)) return der;
  const status = first.valueBlock.value[0];
  const granted = status instanceof asn1js.Integer && status.valueBlock.valueDec <= 1;
  if (!granted || !second) {
    throw new QtError('QT_ERR_TSP_MALFORMED', 'The time-stamp response carries no token (the TSA refused the request)');
  }
  return new Uint8Array(second.valueBeforeDecodeView);
}

/**
 * TSTInfo.policy read with the DER reader: asn1js prints arcs past 2^53 (UUID OIDs, 2.25.<uuid>, as
 * Qoltanba's default TSA policy) as hex in braces, while this reads them exactly.
 */
function policyOf(tstInfo: Bytes): string {
  const [, policy] = childrenOf(tstInfo, readWhole(tstInfo, TAG.sequence, 'TSTInfo'));
  return readOid(tstInfo, policy!);
}

function asTspError(e: unknown): QtError {
  if (isQtError(e, 'QT_ERR_TSP_MALFORMED') || isQtError(e, 'QT_ERR_TOO_LARGE')) return e;
  const why = e instanceof Error ? e.message : String(e);
  return new QtError('QT_ERR_TSP_MALFORMED', `The time-stamp token is malformed: ${why}`, undefined, { cause: e });
}
