/**
 * CRL reader that never materialises the entry list: parseCrl reads the header and counts the entries in
 * place; entries() decodes them one at a time and findRevocation() compares serial bytes without decoding.
 */
import { QtError } from '@qoltanba/errors';
import { bytesEqual, derFrom, fromHex, type Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import { algorithmName, type SignatureAlgorithmId } from '../crypto/index.ts';
import { displayName } from '../path/certificate.ts';
import { readDistributionPointName, readReasonFlags, type DistributionPoint, type ReasonMask } from '../path/extensions.ts';
import { readGeneralNames, type GeneralName } from '../path/general-names.ts';
import {
  childrenOf,
  contentOf,
  contextTag,
  elementOf,
  expectTlv,
  readOid,
  readingAs,
  readTime,
  readTlv,
  readUnsigned,
  readWhole,
  serialHexOf,
  TAG,
  type Tlv,
} from '../der/read.ts';
import { crlReasonFromCode, type CrlReason } from './reasons.ts';

export interface CrlEntry {
  /** Upper-case hex without leading zero bytes, as certificate facts and OCSP spell it. */
  serial: string;
  revokedAt: Date;
  reason: CrlReason | undefined;
  invalidityDate: Date | undefined;
  /** The certificateIssuer entry extension (indirect CRLs): it applies to this entry and the ones after it. */
  certificateIssuer?: GeneralName[] | undefined;
  /** Critical entry extensions this reader does not understand (RFC 5280 §5.3: then the CRL must not be used). */
  unknownCriticalExtensions?: string[] | undefined;
}

export interface CrlScope {
  uris: string[];
  onlyContainsUserCerts: boolean;
  onlyContainsCACerts: boolean;
  /** Partitioned by reason or indirect: such a CRL alone does not answer "is it revoked?". */
  partial: boolean;
  /** The distribution point this CRL is for (RFC 5280 §5.2.5), when named. */
  distributionPoint?: DistributionPoint['name'];
  onlySomeReasons?: ReasonMask | undefined;
  indirectCRL?: boolean;
  onlyContainsAttributeCerts?: boolean;
}

export interface ParsedCrl {
  der: Bytes;
  version: number;
  issuer: { der: Bytes; display: string };
  signatureAlgorithm: SignatureAlgorithmId & { name: string };
  thisUpdate: Date;
  nextUpdate: Date | undefined;
  crlNumber: bigint | undefined;
  /** The base CRL number when this is a delta CRL. */
  deltaCrlIndicator: bigint | undefined;
  authorityKeyId: Bytes | undefined;
  issuingDistributionPoint: CrlScope | undefined;
  /** Critical CRL extensions this reader does not understand (RFC 5280 §5.2: then the CRL must not be used). */
  unknownCriticalExtensions: string[];
  /** RFC 5280 §5.2.3: the CRL number MUST be present and non-critical; relying parties check both. */
  crlNumberCritical: boolean;
  /** Extension OIDs that appear more than once. */
  duplicateExtensions: string[];
  /** Byte range of tbsCertList within `der`, and the bytes themselves. */
  tbsRange: { start: number; end: number };
  tbs: Bytes;
  signature: Bytes;
  entryCount: number;
  /** Decodes the entries lazily, in CRL order. */
  entries(): IterableIterator<CrlEntry>;
  /** The entry for this serial (hex text or unsigned bytes), found by a byte scan without decoding others. */
  findRevocation(serial: string | Uint8Array): CrlEntry | undefined;
  /**
   * The entry for this serial given as its INTEGER content (two's complement, as in the certificate): unlike
   * findRevocation's unsigned spelling, serial 0x00FF and serial -1 (0xFF) stay different numbers.
   */
  findEntry(integerContent: Uint8Array): CrlEntry | undefined;
  /** Critical entry extensions nobody here understands, found by one scan of the entries (then remembered). */
  unknownCriticalEntryExtensions(): string[];
}

/** Parses a DER (or PEM) CRL. Anything unreadable is QT_ERR_CRL_MALFORMED. */
export function parseCrl(input: Uint8Array | string): ParsedCrl {
  return asCrlError(() => readHeader(derFrom(input, 'X509 CRL')));
}

const asCrlError = <T>(fn: () => T): T => readingAs('QT_ERR_CRL_MALFORMED', 'The CRL', fn);

function fail(message: string): never {
  throw new QtError('QT_ERR_CRL_MALFORMED', `The CRL is malformed: ${message}`);
}

function readHeader(der: Bytes): ParsedCrl {
  const outer = readWhole(der, TAG.sequence, 'CertificateList');
  const [tbsTlv, outerAlg, sigTlv, extra] = childrenOf(der, outer);
  if (!tbsTlv || !outerAlg || !sigTlv || extra) fail('expected tbsCertList, signatureAlgorithm, signature');
  if (tbsTlv.tag !== TAG.sequence || outerAlg.tag !== TAG.sequence || sigTlv.tag !== TAG.bitString) {
    fail('unexpected element types');
  }
  if (der[sigTlv.contentStart] !== 0 || sigTlv.end === sigTlv.contentStart) fail('the signature BIT STRING has unused bits');

  let at = tbsTlv.contentStart;
  const next = (): Tlv | undefined => (at < tbsTlv.end ? readTlv(der, at, tbsTlv.end) : undefined);
  let t = next();
  let version = 1;
  if (t?.tag === TAG.integer) {
    version = Number(readUnsigned(der, t)) + 1;
    if (version !== 2) fail(`version ${version} is not a CRL version`);
    at = t.end;
  }
  const innerAlg = expectTlv(der, at, tbsTlv.end, TAG.sequence, 'signature AlgorithmIdentifier');
  if (!bytesEqual(elementOf(der, innerAlg), elementOf(der, outerAlg))) {
    fail('the signature algorithm inside and outside the signed part differ');
  }
  const issuer = expectTlv(der, innerAlg.end, tbsTlv.end, TAG.sequence, 'issuer Name');
  const thisUpdateTlv = readTlv(der, issuer.end, tbsTlv.end);
  const thisUpdate = readTime(der, thisUpdateTlv);
  at = thisUpdateTlv.end;
  t = next();
  let nextUpdate: Date | undefined;
  if (t && (t.tag === TAG.utcTime || t.tag === TAG.generalizedTime)) {
    nextUpdate = readTime(der, t);
    at = t.end;
    t = next();
  }
  let list: Tlv | undefined;
  if (t?.tag === TAG.sequence) {
    list = t;
    at = t.end;
    t = next();
  }
  let extensions: Tlv | undefined;
  if (t?.tag === contextTag(0, true)) {
    extensions = expectTlv(der, t.contentStart, t.end, TAG.sequence, 'crlExtensions');
    at = t.end;
    t = next();
  }
  if (t) fail('unexpected element after the CRL extensions');

  const algParts = childrenOf(der, outerAlg);
  const algOid = readOid(der, algParts[0] ?? fail('empty AlgorithmIdentifier'));
  const params = algParts[1];
  const header: Header = {
    der,
    version,
    issuer: { der: elementOf(der, issuer), display: displayName(elementOf(der, issuer)) },
    signatureAlgorithm: {
      oid: algOid,
      parameters: params ? elementOf(der, params) : undefined,
      name: algorithmName(algOid),
    },
    thisUpdate,
    nextUpdate,
    crlNumber: undefined,
    deltaCrlIndicator: undefined,
    authorityKeyId: undefined,
    issuingDistributionPoint: undefined,
    unknownCriticalExtensions: [],
    crlNumberCritical: false,
    duplicateExtensions: [],
    tbsRange: { start: tbsTlv.start, end: tbsTlv.end },
    tbs: elementOf(der, tbsTlv),
    signature: der.subarray(sigTlv.contentStart + 1, sigTlv.end),
  };
  if (extensions) readCrlExtensions(der, extensions, header);
  return new CrlView(header, list);
}

type Header = Omit<ParsedCrl, 'entryCount' | 'entries' | 'findRevocation' | 'findEntry' | 'unknownCriticalEntryExtensions'>;

function readCrlExtensions(der: Bytes, extensions: Tlv, header: Header): void {
  const seen = new Set<string>();
  for (const ext of childrenOf(der, extensions)) {
    const { id, critical, value } = readExtension(der, ext);
    if (seen.has(id) && !header.duplicateExtensions.includes(id)) header.duplicateExtensions.push(id);
    seen.add(id);
    switch (id) {
      case oid.crlNumber:
        header.crlNumber = readUnsigned(value, readWhole(value, TAG.integer, 'CRLNumber'));
        header.crlNumberCritical = critical;
        break;
      case oid.deltaCrlIndicator:
        header.deltaCrlIndicator = readUnsigned(value, readWhole(value, TAG.integer, 'BaseCRLNumber'));
        break;
      case oid.authorityKeyIdentifier: {
        const aki = readWhole(value, TAG.sequence, 'AuthorityKeyIdentifier');
        const keyId = childrenOf(value, aki).find((c) => c.tag === contextTag(0, false));
        header.authorityKeyId = keyId ? contentOf(value, keyId) : undefined;
        break;
      }
      case oid.issuingDistributionPoint:
        header.issuingDistributionPoint = readScope(value);
        break;
      default:
        if (critical) header.unknownCriticalExtensions.push(id);
    }
  }
}

/**
 * IssuingDistributionPoint ::= SEQUENCE { distributionPoint [0], onlyContainsUserCerts [1], onlyContainsCACerts [2],
 * onlySomeReasons [3], indirectCRL [4], onlyContainsAttributeCerts [5] } — read with the DER walker so the
 * distribution point's names keep their exact bytes for matching against certificates (RFC 5280 §6.3.3 (b)).
 */
function readScope(value: Bytes): CrlScope {
  const seq = readWhole(value, TAG.sequence, 'IssuingDistributionPoint');
  const flag = (t: Tlv): boolean => {
    if (t.end - t.contentStart !== 1) fail('an issuingDistributionPoint flag is not a BOOLEAN');
    return value[t.contentStart] !== 0;
  };
  const scope: CrlScope = { uris: [], onlyContainsUserCerts: false, onlyContainsCACerts: false, partial: false, indirectCRL: false, onlyContainsAttributeCerts: false };
  for (const part of childrenOf(value, seq)) {
    switch (part.tag) {
      case contextTag(0, true):
        scope.distributionPoint = readDistributionPointName(value, part);
        break;
      case contextTag(1, false):
        scope.onlyContainsUserCerts = flag(part);
        break;
      case contextTag(2, false):
        scope.onlyContainsCACerts = flag(part);
        break;
      case contextTag(3, false):
        scope.onlySomeReasons = readReasonFlags(value, part);
        break;
      case contextTag(4, false):
        scope.indirectCRL = flag(part);
        break;
      case contextTag(5, false):
        scope.onlyContainsAttributeCerts = flag(part);
        break;
      default:
        fail('unexpected element in issuingDistributionPoint');
    }
  }
  const point = scope.distributionPoint;
  if (point && 'fullName' in point) scope.uris = point.fullName.flatMap((n) => (n.type === 'uniformResourceIdentifier' ? [n.value] : []));
  scope.partial = scope.onlySomeReasons !== undefined || scope.indirectCRL === true || scope.onlyContainsAttributeCerts === true;
  return scope;
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
function readExtension(der: Bytes, ext: Tlv): { id: string; critical: boolean; value: Bytes } {
  if (ext.tag !== TAG.sequence) fail('an extension is not a SEQUENCE');
  const parts = childrenOf(der, ext);
  const id = readOid(der, parts[0] ?? fail('empty extension'));
  const critical = parts.length === 3 && parts[1]?.tag === TAG.boolean && der[parts[1].contentStart] !== 0;
  const valueTlv = parts[parts.length - 1];
  if (!valueTlv || valueTlv.tag !== TAG.octetString || parts.length > 3) fail(`extension ${id} is malformed`);
  return { id, critical, value: contentOf(der, valueTlv) };
}

// The header fields are copied onto the view; the interface declares them for the type checker.
interface CrlView extends Header {}
class CrlView implements ParsedCrl {
  readonly entryCount: number;
  private readonly list: Tlv | undefined;

  constructor(header: Header, list: Tlv | undefined) {
    Object.assign(this, header);
    this.list = list;
    this.entryCount = list ? countEntries(header.der, list) : 0;
  }

  private entryProblems: string[] | undefined;

  findEntry(integerContent: Uint8Array): CrlEntry | undefined {
    const wanted = minimalInteger(integerContent);
    const der = this.der;
    const list = this.list;
    if (!list) return undefined;
    // The same inline walk as findRevocation (countEntries vouched for the layout), comparing signed values.
    for (let at = list.contentStart; at < list.end; ) {
      let p = at + 1;
      let length = der[p++] as number;
      if (length & 0x80) {
        const n = length & 0x7f;
        length = 0;
        for (let k = 0; k < n; k++) length = length * 256 + (der[p++] as number);
      }
      const entryEnd = p + length;
      const got = minimalInteger(der.subarray(p + 2, p + 2 + (der[p + 1] as number)));
      if (got.length === wanted.length && sameBytesAt(got, 0, wanted)) {
        return asCrlError(() => decodeEntry(der, readTlv(der, at, list.end)));
      }
      at = entryEnd;
    }
    return undefined;
  }

  unknownCriticalEntryExtensions(): string[] {
    if (!this.entryProblems) this.entryProblems = asCrlError(() => scanCriticalEntryExtensions(this.der, this.list));
    return this.entryProblems;
  }

  *entries(): IterableIterator<CrlEntry> {
    const list = this.list;
    if (!list) return;
    for (let at = list.contentStart; at < list.end; ) {
      const entry = readTlv(this.der, at, list.end);
      yield asCrlError(() => decodeEntry(this.der, entry));
      at = entry.end;
    }
  }

  findRevocation(serial: string | Uint8Array): CrlEntry | undefined {
    const wanted = magnitude(typeof serial === 'string' ? serialBytes(serial) : serial);
    const der = this.der;
    const list = this.list;
    if (!list) return undefined;
    // countEntries already checked every entry's layout, so this loop reads the headers inline instead of
    // allocating a Tlv per element: it is what makes a lookup in a million-entry CRL take milliseconds.
    for (let at = list.contentStart; at < list.end; ) {
      let p = at + 1;
      let length = der[p++] as number;
      if (length & 0x80) {
        const n = length & 0x7f;
        length = 0;
        for (let k = 0; k < n; k++) length = length * 256 + (der[p++] as number);
      }
      const entryEnd = p + length;
      // Serials are at most a few dozen bytes, so their length is one byte (countEntries saw it parse).
      const serialEnd = p + 2 + (der[p + 1] as number);
      let i = p + 2;
      while (i < serialEnd - 1 && der[i] === 0) i++;
      if (serialEnd - i === wanted.length && sameBytesAt(der, i, wanted)) {
        return asCrlError(() => decodeEntry(der, readTlv(der, at, list.end)));
      }
      at = entryEnd;
    }
    return undefined;
  }
}

/** Entry extensions we understand: reasonCode, holdInstructionCode, invalidityDate, certificateIssuer. */
const knownEntryExtensions = new Set<string>([oid.crlReason, oid.holdInstructionCode, oid.invalidityDate, oid.certificateIssuer]);

/**
 * The OIDs of critical entry extensions we do not understand, in one pass that decodes nothing else: most
 * entries carry only a non-critical reasonCode, so only a critical flag leads to reading an OID. A million-entry
 * CRL costs tens of milliseconds, not the second that decoding every entry would.
 */
function scanCriticalEntryExtensions(der: Bytes, list: Tlv | undefined): string[] {
  const found = new Set<string>();
  if (!list) return [];
  for (let at = list.contentStart; at < list.end; ) {
    const entry = readTlv(der, at, list.end);
    at = entry.end;
    const serial = readTlv(der, entry.contentStart, entry.end);
    const when = readTlv(der, serial.end, entry.end);
    if (when.end >= entry.end) continue;
    const exts = readTlv(der, when.end, entry.end);
    for (let e = exts.contentStart; e < exts.end; ) {
      const ext = readTlv(der, e, exts.end);
      e = ext.end;
      const id = readTlv(der, ext.contentStart, ext.end);
      const flag = readTlv(der, id.end, ext.end);
      if (flag.tag === TAG.boolean && der[flag.contentStart] !== 0) {
        const name = readOid(der, id);
        if (!knownEntryExtensions.has(name)) found.add(name);
      }
    }
  }
  return [...found];
}

/** Counts entries and checks each has a serial INTEGER and a time, so later scans can trust the layout. */
function countEntries(der: Bytes, list: Tlv): number {
  let n = 0;
  for (let at = list.contentStart; at < list.end; n++) {
    const entry = readTlv(der, at, list.end);
    if (entry.tag !== TAG.sequence) fail(`entry ${n + 1} is not a SEQUENCE`);
    const serial = readTlv(der, entry.contentStart, entry.end);
    if (serial.tag !== TAG.integer || serial.end === serial.contentStart) fail(`entry ${n + 1} has no serial number`);
    if (serial.contentStart - serial.start !== 2) fail(`entry ${n + 1} has an absurdly long serial number`);
    const when = readTlv(der, serial.end, entry.end);
    if (when.tag !== TAG.utcTime && when.tag !== TAG.generalizedTime) fail(`entry ${n + 1} has no revocation date`);
    at = entry.end;
  }
  return n;
}

function decodeEntry(der: Bytes, entry: Tlv): CrlEntry {
  const [serialTlv, whenTlv, extsTlv] = childrenOf(der, entry);
  if (!serialTlv || !whenTlv) fail('an entry is incomplete');
  const result: CrlEntry = {
    serial: serialHexOf(der, serialTlv.contentStart, serialTlv.end),
    revokedAt: readTime(der, whenTlv),
    reason: undefined,
    invalidityDate: undefined,
  };
  if (!extsTlv) return result;
  if (extsTlv.tag !== TAG.sequence) fail(`entry ${result.serial} has malformed extensions`);
  for (const ext of childrenOf(der, extsTlv)) {
    const { id, critical, value } = readExtension(der, ext);
    if (id === oid.crlReason) {
      const code = Number(readUnsigned(value, readWhole(value, TAG.enumerated, 'CRLReason')));
      result.reason = crlReasonFromCode(code) ?? fail(`entry ${result.serial} has an unknown reason code ${code}`);
    } else if (id === oid.invalidityDate) {
      result.invalidityDate = readTime(value, readWhole(value, TAG.generalizedTime, 'invalidityDate'));
    } else if (id === oid.certificateIssuer) {
      result.certificateIssuer = readGeneralNames(value, readWhole(value, TAG.sequence, 'certificateIssuer'));
    } else if (critical && id !== oid.holdInstructionCode) {
      (result.unknownCriticalExtensions ??= []).push(id);
    }
  }
  return result;
}

function serialBytes(hex: string): Uint8Array {
  const clean = hex.replace(/[\s:]/g, '');
  return fromHex(clean.length % 2 ? `0${clean}` : clean);
}

function magnitude(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

/** Drops redundant leading sign octets (0x00 before a byte < 0x80, 0xFF before a byte ≥ 0x80). */
function minimalInteger(content: Uint8Array): Uint8Array {
  let i = 0;
  while (i < content.length - 1) {
    const b = content[i] as number;
    const next = content[i + 1] as number;
    if ((b === 0x00 && next < 0x80) || (b === 0xff && next >= 0x80)) i++;
    else break;
  }
  return content.subarray(i);
}

function sameBytesAt(buf: Uint8Array, at: number, wanted: Uint8Array): boolean {
  for (let j = 0; j < wanted.length; j++) if (buf[at + j] !== wanted[j]) return false;
  return true;
}
