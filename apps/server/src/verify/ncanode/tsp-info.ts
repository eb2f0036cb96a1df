/**
 * NCANode's time-stamp fields of a CMS signer: `tsp` (its TspInfo: serialNumber, genTime, policy, tsa,
 * tspHashAlgorithm, hash — spelled as NCANode spells them), `bestSignatureTime` (the time the signer was judged
 * at: its proven signature time-stamp, else the requested time), `signatureTimestamp` (that stamp's time) and
 * `adesLevel` (B, T, LT, LTA).
 */
import { oid, toHex, type SignerVerdict, type TimeStampInfo } from '@qoltanba/pki';
import { javaDate } from './certificate-info.ts';

/** Kalkan's names for imprint hashes (KalkanUtil.getHashingAlgorithmByOID, which NCANode reports). */
const kalkanHashNames: Readonly<Record<string, string>> = {
  [oid.sha1]: 'SHA1',
  [oid.sha256]: 'SHA256',
  [oid.sha384]: 'SHA384',
  [oid.sha512]: 'SHA512',
  [oid.kzGost34311_95]: 'GOST34311',
  [oid.kzStreebog256]: 'GOST3411-2015-256',
  [oid.kzStreebog512]: 'GOST3411-2015-512',
};

export interface NcaTspInfo {
  serialNumber: string;
  genTime: string;
  policy: string;
  tsa: string | null;
  tspHashAlgorithm: string | null;
  hash: string;
}

export function tspInfo(info: TimeStampInfo): NcaTspInfo {
  // Java's BigInteger.toByteArray in hex: a leading zero byte when the top bit is set.
  const serial = info.serialNumber.length % 2 ? `0${info.serialNumber}` : info.serialNumber;
  return {
    serialNumber: /^[89a-f]/i.test(serial) ? `00${serial}` : serial.toLowerCase(),
    genTime: javaDate(info.genTime),
    policy: info.policy,
    tsa: info.tsaName ? `4: ${info.tsaName}` : null,
    tspHashAlgorithm: kalkanHashNames[info.messageImprint.hashAlgorithm.oid] ?? null,
    hash: toHex(info.messageImprint.hashedMessage),
  };
}

export function timeFieldsOf(s: SignerVerdict, at: Date) {
  const signatureStamps = (s.timeStamps ?? []).filter((t) => t.kind === 'signature');
  // The stamp that proved the time, else the first one the signer carries (as NCANode shows whatever it finds).
  const shown = signatureStamps.find((t) => t.valid && t.genTime?.getTime() === s.judgedAt?.time.getTime()) ?? signatureStamps[0];
  const proven = s.judgedAt?.basis === 'signature-time-stamp';
  return {
    bestSignatureTime: javaDate(s.judgedAt?.time ?? at),
    ...(shown?.info ? { tsp: tspInfo(shown.info) } : {}),
    ...(proven && s.judgedAt ? { signatureTimestamp: javaDate(s.judgedAt.time) } : {}),
    ...(s.level ? { adesLevel: s.level } : {}),
  };
}
