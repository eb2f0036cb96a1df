/**
 * RFC 3161 time-stamp tokens (a CMS SignedData over TSTInfo): what was stamped, when, by whom. Also accepts
 * the whole TimeStampResp a TSA answers with. Reading only: check.ts judges a token.
 */
import * as asn1js from 'asn1js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { QtError, isQtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { derFrom, toArrayBuffer, toHex, type Bytes } from '../encoding.ts';
import { TAG, childrenOf, readOid, readWhole } from '../der/read.ts';
import { TstInfo } from '../cms/asn1.ts';
import { minimalInteger } from '../cms/certificates.ts';
import { decodeCms } from '../cms/decode.ts';
import { digestName } from '../cms/digests.ts';
import { displayName } from '../path/certificate.ts';
import { inspectDecoded, type AlgorithmReport, type CmsSignerReport, type InspectedCms } from '../cms/inspect.ts';

export interface TimeStampInfo {
  genTime: Date;
  /** Hex of the serial number. */
  serialNumber: string;
  policy: string;
  messageImprint: { hashAlgorithm: AlgorithmReport; hashedMessage: Bytes };
  /** Hex of the nonce (no leading zeros), when the request carried one. */
  nonce: string | undefined;
  /** Accuracy in milliseconds, when stated. */
  accuracyMs: number | undefined;
  /** The TSTInfo's tsa field (RFC 3161: a hint naming the TSA), when it is a directory name. */
  tsaName: string | undefined;
  /** The TSA's signer as the token names it (not verified here). */
  signer: CmsSignerReport | undefined;
  /** DER of the token (a ContentInfo), e.g. to hand to verifyCms or to put into a signature. */
  token: Bytes;
}

export function parseTimeStampToken(input: Uint8Array | string): TimeStampInfo {
  return readTimeStampToken(input).info;
}

/** The token read, with its inspected CMS (for check.ts, which must not parse twice). */
export function readTimeStampToken(input: Uint8Array | string): { info: TimeStampInfo; inspected: InspectedCms } {
  let token: Bytes;
  try {
    token = tokenFrom(derFrom(input));
  } catch (e) {
    throw asTspError(e);
  }
  let inspected: InspectedCms;
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
  if (tst.version !== 1) throw new QtError('QT_ERR_TSP_MALFORMED', `The TSTInfo has version ${tst.version}; RFC 3161 knows only version 1`);
  const accuracy = tst.accuracy;
  const hashOid = tst.messageImprint.hashAlgorithm.algorithm;
  const info: TimeStampInfo = {
    genTime: tst.genTime,
    serialNumber: toHex(minimalInteger(new Uint8Array(tst.serialNumber))),
    policy: policyOf(report.content),
    messageImprint: {
      hashAlgorithm: { oid: hashOid, name: digestName(hashOid) },
      hashedMessage: new Uint8Array(tst.messageImprint.hashedMessage.buffer),
    },
    nonce: tst.nonce ? toHex(minimalInteger(new Uint8Array(tst.nonce))) : undefined,
    accuracyMs: accuracy ? (accuracy.seconds ?? 0) * 1000 + (accuracy.millis ?? 0) + (accuracy.micros ?? 0) / 1000 : undefined,
    tsaName: tst.tsa?.directoryName ? displayName(new Uint8Array(AsnConvert.serialize(tst.tsa.directoryName))) : undefined,
    signer: report.signers[0],
    token,
  };
  return { info, inspected };
}

/**
 * TSTInfo.policy read with the DER reader: asn1js prints arcs past 2^53 (UUID OIDs, 2.25.<uuid>, as
 * Qoltanba's default TSA policy) as hex in braces, while this reads them exactly.
 */
function policyOf(tstInfo: Bytes): string {
  const [, policy] = childrenOf(tstInfo, readWhole(tstInfo, TAG.sequence, 'TSTInfo'));
  if (!policy) throw new QtError('QT_ERR_TSP_MALFORMED', 'The TSTInfo has no policy');
  return readOid(tstInfo, policy);
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

export function asTspError(e: unknown): QtError {
  if (isQtError(e, 'QT_ERR_TSP_MALFORMED') || isQtError(e, 'QT_ERR_TOO_LARGE')) return e;
  const why = e instanceof Error ? e.message : String(e);
  return new QtError('QT_ERR_TSP_MALFORMED', `The time-stamp token is malformed: ${why}`, undefined, { cause: e });
}
