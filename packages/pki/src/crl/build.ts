/**
 * Streaming CRL builder (RFC 5280 §5). Entries are encoded straight into byte chunks as they arrive (from a
 * database cursor, say); at the end the header is written around them, the TBS is signed once and the result
 * is assembled in a single buffer. Memory grows with the output only; nothing is re-encoded.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { DistributionPointName, GeneralName, IssuingDistributionPoint } from '@peculiar/asn1-x509';
import { QtError } from '@qoltanba/errors';
import { bytesEqual, concatBytes, type Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import { algorithmIdentifierDer, digest, type Signer } from '../crypto/index.ts';
import { readCertificate, type CertificateFacts, type CertificateInput } from '../path/certificate.ts';
import { contextTag, TAG } from '../der/read.ts';
import {
  ByteSink,
  checkDate,
  extension,
  header,
  integer,
  needsGeneralizedTime,
  sequence,
  time,
  tlv,
} from '../der/write.ts';
import { crlReasonCode, type CrlReason } from './reasons.ts';

export interface CrlEntryInput {
  /** Certificate serial: hex text (any case) or the unsigned big-endian bytes. */
  serial: string | Uint8Array;
  revokedAt: Date;
  /** `unspecified` is left out of the entry, as RFC 5280 §5.3.1 recommends. */
  reason?: CrlReason | undefined;
  invalidityDate?: Date | undefined;
}

export interface IssuingDistributionPointInput {
  /** Where this CRL is published (fullName URIs). */
  uris?: readonly string[];
  onlyContainsUserCerts?: boolean;
  onlyContainsCACerts?: boolean;
}

export interface CrlOptions {
  issuer: { certificate: CertificateInput; signer: Signer };
  thisUpdate: Date;
  nextUpdate: Date;
  crlNumber: bigint;
  /** The base CRL number: makes this a delta CRL (critical deltaCRLIndicator). */
  deltaOf?: bigint | undefined;
  issuingDistributionPoint?: IssuingDistributionPointInput | undefined;
}

/** RFC 5280 §4.1.2.2 / §5.2.3: serials and CRL numbers are at most 20 octets. */
const MAX_INTEGER_OCTETS = 20;
/** Room left after the TBS for the signature (RSA-8192 and GOST-512 fit; bigger ones cost one copy). */
const SIGNATURE_ROOM = 1100;
/** The longest outer SEQUENCE header (tag, 0x84, four length bytes). */
const OUTER_HEADER_ROOM = 6;

// Fixed byte prefixes of the two entry extensions (Extension SEQUENCE, extnID, extnValue OCTET STRING header).
const REASON_EXT_PREFIX = [0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d, 0x15, 0x04, 0x03, TAG.enumerated, 0x01];
const REASON_EXT_SIZE = REASON_EXT_PREFIX.length + 1;
const INVALIDITY_EXT_PREFIX = [0x30, 0x18, 0x06, 0x03, 0x55, 0x1d, 0x18, 0x04, 0x11, TAG.generalizedTime, 0x0f];
const INVALIDITY_EXT_SIZE = INVALIDITY_EXT_PREFIX.length + 15;

export class CrlBuilder {
  private readonly options: CrlOptions;
  private readonly issuer: CertificateFacts;
  private readonly entries = new ByteSink();
  private readonly serial = new Uint8Array(MAX_INTEGER_OCTETS + 1);
  private entryCount = 0;
  private signed = false;

  constructor(options: CrlOptions) {
    this.options = options;
    this.issuer = readCertificate(options.issuer.certificate);
    if (!bytesEqual(options.issuer.signer.publicKey, this.issuer.spki)) {
      throw new QtError('QT_ERR_KEY_MISMATCH', 'The CRL signer key is not the key of the issuer certificate');
    }
    const thisUpdate = checkDate(options.thisUpdate, 'thisUpdate');
    const nextUpdate = checkDate(options.nextUpdate, 'nextUpdate');
    if (nextUpdate <= thisUpdate) throw new QtError('QT_ERR_INPUT_INVALID', 'nextUpdate must be later than thisUpdate');
    checkCrlNumber(options.crlNumber, 'crlNumber');
    if (options.deltaOf !== undefined) {
      checkCrlNumber(options.deltaOf, 'deltaOf');
      if (options.deltaOf >= options.crlNumber) {
        throw new QtError('QT_ERR_INPUT_INVALID', 'A delta CRL must be newer than its base CRL (deltaOf < crlNumber)');
      }
    }
  }

  get count(): number {
    return this.entryCount;
  }

  /** Encodes one entry into the output; the hot path of a million-entry CRL, so it writes bytes by hand. */
  add(entry: CrlEntryInput): void {
    if (this.signed) throw new QtError('QT_ERR_INPUT_INVALID', 'The CRL is already signed');
    const serialLength = this.encodeSerial(entry.serial);
    const revokedAt = checkDate(entry.revokedAt, 'revokedAt');
    const revokedAtGeneralized = needsGeneralizedTime(revokedAt);
    const timeLength = revokedAtGeneralized ? 15 : 13;
    const reasonCode = entry.reason === undefined || entry.reason === 'unspecified' ? -1 : crlReasonCode(entry.reason);
    if (entry.reason === 'removeFromCRL' && this.options.deltaOf === undefined) {
      throw new QtError('QT_ERR_INPUT_INVALID', 'removeFromCRL may appear only in a delta CRL');
    }
    const invalidity = entry.invalidityDate === undefined ? undefined : checkDate(entry.invalidityDate, 'invalidityDate');
    const extsLength = (reasonCode >= 0 ? REASON_EXT_SIZE : 0) + (invalidity ? INVALIDITY_EXT_SIZE : 0);
    // Every part is under 128 bytes, so every header here is two bytes.
    const contentLength = 2 + serialLength + 2 + timeLength + (extsLength ? 2 + extsLength : 0);
    const { buf, at: start } = this.entries.reserve(2 + contentLength);
    let at = start;
    buf[at++] = TAG.sequence;
    buf[at++] = contentLength;
    buf[at++] = TAG.integer;
    buf[at++] = serialLength;
    buf.set(this.serial.subarray(0, serialLength), at);
    at += serialLength;
    buf[at++] = revokedAtGeneralized ? TAG.generalizedTime : TAG.utcTime;
    buf[at++] = timeLength;
    at = writeTimeDigits(buf, at, revokedAt, revokedAtGeneralized);
    if (extsLength) {
      buf[at++] = TAG.sequence;
      buf[at++] = extsLength;
      if (reasonCode >= 0) {
        buf.set(REASON_EXT_PREFIX, at);
        at += REASON_EXT_PREFIX.length;
        buf[at++] = reasonCode;
      }
      if (invalidity) {
        buf.set(INVALIDITY_EXT_PREFIX, at);
        at = writeTimeDigits(buf, at + INVALIDITY_EXT_PREFIX.length, invalidity, true);
      }
    }
    this.entries.commit(at - start);
    this.entryCount++;
  }

  /** Writes the header around the entries, signs once, returns the DER CRL. */
  async sign(): Promise<Bytes> {
    if (this.signed) throw new QtError('QT_ERR_INPUT_INVALID', 'The CRL is already signed');
    this.signed = true;
    const { signer } = this.options.issuer;
    const algorithm = algorithmIdentifierDer(signer.algorithm);
    const head = concatBytes(
      integer(1), // v2: required for extensions
      algorithm,
      this.issuer.subjectDer,
      time(this.options.thisUpdate),
      time(this.options.nextUpdate),
    );
    // RFC 5280 §5.1.2.6: with no entries the list is absent, not empty.
    const listHeader = this.entryCount > 0 ? header(TAG.sequence, this.entries.length) : new Uint8Array(0);
    const extensions = tlv(contextTag(0, true), sequence(...(await this.crlExtensions())));
    const tbsContentLength = head.length + listHeader.length + this.entries.length + extensions.length;
    const tbsHeader = header(TAG.sequence, tbsContentLength);
    const tbsLength = tbsHeader.length + tbsContentLength;

    const out = new Uint8Array(OUTER_HEADER_ROOM + tbsLength + algorithm.length + SIGNATURE_ROOM);
    let at = OUTER_HEADER_ROOM;
    for (const part of [tbsHeader, head, listHeader]) {
      out.set(part, at);
      at += part.length;
    }
    this.entries.copyTo(out, at);
    out.set(extensions, at + this.entries.length);

    const tbs = out.subarray(OUTER_HEADER_ROOM, OUTER_HEADER_ROOM + tbsLength);
    const signature = await signer.sign(tbs);
    const tail = concatBytes(algorithm, tlv(TAG.bitString, new Uint8Array([0]), signature));
    const outerHeader = header(TAG.sequence, tbsLength + tail.length);
    if (tail.length > out.length - OUTER_HEADER_ROOM - tbsLength) return concatBytes(outerHeader, tbs, tail);
    out.set(tail, OUTER_HEADER_ROOM + tbsLength);
    const start = OUTER_HEADER_ROOM - outerHeader.length;
    out.set(outerHeader, start);
    return out.subarray(start, OUTER_HEADER_ROOM + tbsLength + tail.length);
  }

  private async crlExtensions(): Promise<Bytes[]> {
    // RFC 5280 §4.2.1.1 method (1) when the CA certificate carries no SKI.
    const keyId = this.issuer.subjectKeyId ?? (await digest('SHA-1', this.issuer.publicKeyBits));
    const exts = [
      extension(oid.authorityKeyIdentifier, false, sequence(tlv(contextTag(0, false), keyId))),
      extension(oid.crlNumber, false, integer(this.options.crlNumber)),
    ];
    if (this.options.deltaOf !== undefined) {
      exts.push(extension(oid.deltaCrlIndicator, true, integer(this.options.deltaOf)));
    }
    if (this.options.issuingDistributionPoint) {
      exts.push(extension(oid.issuingDistributionPoint, true, issuingDistributionPointDer(this.options.issuingDistributionPoint)));
    }
    return exts;
  }

  /** Writes the serial's INTEGER content into this.serial; returns its length. */
  private encodeSerial(serial: string | Uint8Array): number {
    const out = this.serial;
    let n = 0;
    if (typeof serial === 'string') {
      const odd = serial.length % 2;
      if (serial.length === 0) throw new QtError('QT_ERR_INPUT_INVALID', 'A serial number is empty');
      // Decode two hex digits at a time straight into the scratch buffer, skipping leading zero bytes.
      out[0] = 0;
      n = 1;
      for (let i = -odd; i < serial.length; i += 2) {
        const b = (i < 0 ? 0 : hexDigit(serial, i) << 4) | hexDigit(serial, i + 1);
        if (n === 1 && b === 0) continue;
        if (n > MAX_INTEGER_OCTETS) throw tooLongSerial();
        out[n++] = b;
      }
    } else {
      let i = 0;
      while (i < serial.length && serial[i] === 0) i++;
      if (serial.length - i > MAX_INTEGER_OCTETS) throw tooLongSerial();
      out[0] = 0;
      out.set(serial.subarray(i), 1);
      n = 1 + serial.length - i;
    }
    // out[0] is a spare 0x00: keep it only when the value is zero or its top bit would read as negative.
    if (n === 1) return 1;
    if ((out[1] as number) & 0x80) {
      if (n > MAX_INTEGER_OCTETS) throw tooLongSerial();
      return n;
    }
    out.copyWithin(0, 1, n);
    return n - 1;
  }
}

/** Builds a whole CRL from a sync or async iterable of entries (a database stream, an array). */
export async function buildCrl(
  options: CrlOptions & { entries: Iterable<CrlEntryInput> | AsyncIterable<CrlEntryInput> },
): Promise<Bytes> {
  const builder = new CrlBuilder(options);
  const { entries } = options;
  // A sync source is looped without awaiting each item: a million awaits cost more than the encoding.
  if (Symbol.iterator in entries) for (const e of entries) builder.add(e);
  else for await (const e of entries) builder.add(e);
  return builder.sign();
}

function checkCrlNumber(n: bigint, what: string): void {
  if (typeof n !== 'bigint' || n < 0n || n >= 1n << BigInt(8 * MAX_INTEGER_OCTETS - 1)) {
    throw new QtError('QT_ERR_INPUT_INVALID', `${what} must be a non-negative bigint of at most 20 octets`);
  }
}

function tooLongSerial(): QtError {
  return new QtError('QT_ERR_INPUT_INVALID', 'A serial number is longer than 20 octets (RFC 5280 §4.1.2.2)');
}

function hexDigit(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  throw new QtError('QT_ERR_INPUT_INVALID', `The serial number "${text}" is not hexadecimal`);
}

/** Writes YYMMDDHHMMSSZ (or YYYYMMDDHHMMSSZ) as ASCII; returns the offset after it. */
function writeTimeDigits(buf: Uint8Array, at: number, date: Date, generalized: boolean): number {
  const year = date.getUTCFullYear();
  if (generalized) {
    at = write2(buf, at, Math.floor(year / 100));
  }
  at = write2(buf, at, year % 100);
  at = write2(buf, at, date.getUTCMonth() + 1);
  at = write2(buf, at, date.getUTCDate());
  at = write2(buf, at, date.getUTCHours());
  at = write2(buf, at, date.getUTCMinutes());
  at = write2(buf, at, date.getUTCSeconds());
  buf[at++] = 0x5a; // 'Z'
  return at;
}

function write2(buf: Uint8Array, at: number, v: number): number {
  buf[at++] = 0x30 + Math.floor(v / 10);
  buf[at++] = 0x30 + (v % 10);
  return at;
}

function issuingDistributionPointDer(idp: IssuingDistributionPointInput): Bytes {
  if (idp.onlyContainsUserCerts && idp.onlyContainsCACerts) {
    throw new QtError('QT_ERR_INPUT_INVALID', 'A CRL cannot be limited to both user and CA certificates');
  }
  const value = new IssuingDistributionPoint({
    onlyContainsUserCerts: idp.onlyContainsUserCerts ?? false,
    onlyContainsCACerts: idp.onlyContainsCACerts ?? false,
  });
  if (idp.uris?.length) {
    value.distributionPoint = new DistributionPointName({
      fullName: idp.uris.map((uri) => new GeneralName({ uniformResourceIdentifier: uri })),
    });
  }
  return new Uint8Array(AsnConvert.serialize(value));
}
