/**
 * RFC 3161 TimeStampReq: the imprint of the bytes to stamp (any registered hash, Streebog included), a
 * random nonce, certReq and an optional policy. The TSA answers with a token that must echo the imprint
 * and the nonce (response.ts, check.ts). The same reader serves the client and our TSA (apps/server/src/tsa),
 * with the checks a TSA owes its PKIFailureInfo answers.
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { QtError, isQtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { derFrom, toArrayBuffer, toHex, type Bytes } from '../encoding.ts';
import { minimalInteger } from '../cms/certificates.ts';
import { digestByOid, digestLength, digestName } from '../cms/digests.ts';
import { TAG, childrenOf, contentOf, contextTag, elementOf, readOid, readWhole, type Tlv } from '../der/read.ts';
import { MessageImprint, TimeStampReq } from './asn1.ts';

/** Hash names a caller may use besides OIDs; Streebog is NCA's (Kazakh OIDs), as in NCA's own stamps. */
export const TIME_STAMP_HASH_NAMES: Readonly<Record<string, string>> = {
  'SHA-1': oid.sha1,
  'SHA-256': oid.sha256,
  'SHA-384': oid.sha384,
  'SHA-512': oid.sha512,
  'Streebog-256': oid.kzStreebog256,
  'Streebog-512': oid.kzStreebog512,
  'GOST 34.311-95': oid.kzGost34311_95,
};

/** "SHA-256", "Streebog-512" or a digest OID, to the OID; an unknown name is QT_ERR_ALGORITHM_UNSUPPORTED. */
export function timeStampHashOid(hash: string): string {
  const found = TIME_STAMP_HASH_NAMES[hash] ?? (/^\d+(\.\d+)+$/.test(hash) ? hash : undefined);
  if (!found) throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `"${hash}" is not a hash algorithm name (${Object.keys(TIME_STAMP_HASH_NAMES).join(', ')}) or OID`);
  digestLength(found); // known size, or QT_ERR_ALGORITHM_UNSUPPORTED
  return found;
}

export interface TimeStampRequestOptions {
  /** The bytes to stamp (hashed here) … */
  data?: Uint8Array | undefined;
  /** … or their digest, already computed with `hash`. */
  digest?: Uint8Array | undefined;
  /** Default SHA-256. */
  hash?: string | undefined;
  /** A nonce (big-endian, positive), true for a fresh random 64-bit one (default), false for none. */
  nonce?: Uint8Array | boolean | undefined;
  /** Ask the TSA to put its certificate into the token (default true: a verifier needs it). */
  certReq?: boolean | undefined;
  /** The TSA policy to stamp under; the TSA refuses others with unacceptedPolicy. */
  policy?: string | undefined;
}

export interface TimeStampRequest {
  /** DER of the TimeStampReq (application/timestamp-query). */
  der: Bytes;
  hashOid: string;
  imprint: Bytes;
  /** The MessageImprint element's DER: a TSA's TSTInfo carries exactly these bytes (§2.4.2). */
  messageImprintDer: Bytes;
  /** The nonce INTEGER's content octets (DER-minimal), when one was sent: a TSA echoes them unchanged. */
  nonce: Bytes | undefined;
  certReq: boolean;
  policy: string | undefined;
}

export async function createTimeStampRequest(options: TimeStampRequestOptions): Promise<TimeStampRequest> {
  const hashOid = timeStampHashOid(options.hash ?? 'SHA-256');
  let imprint: Bytes;
  if (options.digest) {
    if (options.data) throw new QtError('QT_ERR_INPUT_INVALID', 'Give the data to stamp or its digest, not both');
    if (options.digest.length !== digestLength(hashOid)) {
      throw new QtError('QT_ERR_INPUT_INVALID', `The digest is ${options.digest.length} bytes long; a ${digestName(hashOid)} digest is ${digestLength(hashOid)}`);
    }
    imprint = new Uint8Array(options.digest);
  } else if (options.data) {
    imprint = await digestByOid(hashOid, options.data);
  } else {
    throw new QtError('QT_ERR_INPUT_INVALID', 'Nothing to stamp: give the data or its digest');
  }
  const nonce = nonceFrom(options.nonce ?? true);
  const certReq = options.certReq ?? true;
  const messageImprint = Object.assign(new MessageImprint(), {
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: hashOid }),
    hashedMessage: new OctetString(imprint),
  });
  const request = new TimeStampReq({
    messageImprint,
    reqPolicy: options.policy,
    nonce: nonce ? toArrayBuffer(nonce) : undefined,
    certReq,
  });
  return {
    der: new Uint8Array(AsnConvert.serialize(request)),
    hashOid,
    imprint,
    messageImprintDer: new Uint8Array(AsnConvert.serialize(messageImprint)),
    nonce,
    certReq,
    policy: options.policy,
  };
}

function nonceFrom(nonce: Uint8Array | boolean): Bytes | undefined {
  if (nonce === false) return undefined;
  if (nonce === true) {
    const bytes = globalThis.crypto.getRandomValues(new Uint8Array(8));
    // Positive, and minimally encoded as a DER INTEGER: the top bit clear, the first byte never zero.
    bytes[0] = ((bytes[0] as number) & 0x7f) | 0x40;
    return bytes;
  }
  const minimal = minimalInteger(nonce);
  if (minimal.length === 0 || ((minimal[0] as number) & 0x80) !== 0) {
    throw new QtError('QT_ERR_INPUT_INVALID', 'A time-stamp nonce is a positive INTEGER: give its big-endian bytes with the top bit clear');
  }
  return minimal;
}

export interface ReadTimeStampRequestOptions {
  /** Digest OIDs the reader accepts (a TSA's configuration); default every hash whose length is known. */
  acceptedHashes?: ReadonlySet<string> | undefined;
}

/**
 * Reads a TimeStampReq (RFC 3161 §2.4.1) as a time-stamping authority must: hand-read with the DER reader
 * rather than a tree parser — every stamp starts here, the request is a handful of elements, and each way it
 * can be wrong must come out as its own code, because each is its own PKIFailureInfo (tsa-reply.ts):
 *
 *   not DER, truncated, trailing bytes, fields out of order or twice, a non-DER nonce or certReq,
 *   an imprint whose length does not fit its hash ....................... QT_ERR_TSP_REQUEST_MALFORMED (badDataFormat)
 *   version ≠ 1 ........................................................ QT_ERR_TSP_REQUEST_VERSION (badRequest)
 *   a hash not accepted or unknown, or hash parameters other than NULL . QT_ERR_TSP_HASH_UNSUPPORTED (badAlg)
 *   any extension (we recognise none, and §2.4.2 refuses an unrecognised
 *   one, critical or not) .............................................. QT_ERR_TSP_EXTENSION_UNACCEPTED (unacceptedExtension)
 *
 * Bytes are read as DER exactly (a TSA's body); a string may be PEM or base64. Which policies are acceptable is
 * the caller's decision. The policy is read with the DER reader, so OID arcs past 2^53 (UUID policies,
 * 2.25.<uuid>) come out exactly.
 *
 *   TimeStampReq ::= SEQUENCE { version INTEGER { v1(1) }, messageImprint MessageImprint,
 *     reqPolicy TSAPolicyId OPTIONAL, nonce INTEGER OPTIONAL, certReq BOOLEAN DEFAULT FALSE,
 *     extensions [0] IMPLICIT Extensions OPTIONAL }
 *   MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }
 */
export function readTimeStampRequest(input: Uint8Array | string, options: ReadTimeStampRequestOptions = {}): TimeStampRequest {
  let der: Bytes;
  let top: Tlv[];
  try {
    der = typeof input === 'string' ? derFrom(input) : (input as Bytes);
    top = childrenOf(der, readWhole(der, TAG.sequence, 'TimeStampReq'));
  } catch (e) {
    throw malformed(e);
  }
  const [version, imprint, ...rest] = top;
  if (version?.tag !== TAG.integer) throw malformed('it does not start with the version INTEGER');
  if (!isVersionOne(der, version)) throw new QtError('QT_ERR_TSP_REQUEST_VERSION', `The time-stamp request is version ${versionText(der, version)}; only version 1 exists (RFC 3161)`);
  if (imprint?.tag !== TAG.sequence) throw malformed('the messageImprint SEQUENCE is missing');
  const { hashOid, hashedMessage } = readImprint(der, imprint, options);

  let policy: string | undefined;
  let nonce: Bytes | undefined;
  let certReq = false;
  // The optional fields in their order; each may appear once, and nothing may follow the extensions.
  let next = 0;
  for (const field of rest) {
    if (field.tag === TAG.oid && next <= 0) {
      policy = guard(() => readOid(der, field));
      next = 1;
    } else if (field.tag === TAG.integer && next <= 1) {
      nonce = contentOf(der, field);
      if (!isMinimalInteger(nonce)) throw malformed('the nonce is not a DER INTEGER');
      next = 2;
    } else if (field.tag === TAG.boolean && next <= 2) {
      const value = contentOf(der, field);
      if (value.length !== 1) throw malformed('certReq is not a BOOLEAN');
      certReq = value[0] !== 0;
      next = 3;
    } else if (field.tag === contextTag(0, true) && next <= 3) {
      const extensions = guard(() => childrenOf(der, field));
      const oids = extensions.map((e) => (e.tag === TAG.sequence ? guard(() => readOid(der, childrenOf(der, e)[0] ?? e)) : '?'));
      throw new QtError('QT_ERR_TSP_EXTENSION_UNACCEPTED', `The time-stamp request carries extension ${oids.join(', ')}; this authority supports none`, { extensions: oids });
    } else {
      throw malformed(`unexpected element (tag 0x${field.tag.toString(16)}) after the messageImprint`);
    }
  }
  return { der, hashOid, imprint: hashedMessage, messageImprintDer: elementOf(der, imprint), nonce, certReq, policy };
}

const NULL_PARAMS = [TAG.null, 0];

function readImprint(buf: Bytes, imprint: Tlv, options: ReadTimeStampRequestOptions): { hashOid: string; hashedMessage: Bytes } {
  const [algorithm, hashed, extra] = guard(() => childrenOf(buf, imprint));
  if (algorithm?.tag !== TAG.sequence || hashed?.tag !== TAG.octetString || extra) throw malformed('the messageImprint is not { AlgorithmIdentifier, OCTET STRING }');
  const [algOid, params, extraParam] = guard(() => childrenOf(buf, algorithm));
  if (!algOid || extraParam) throw malformed('the hash AlgorithmIdentifier is malformed');
  const hashAlgorithm = guard(() => readOid(buf, algOid));
  if (options.acceptedHashes ? !options.acceptedHashes.has(hashAlgorithm) : !knownDigest(hashAlgorithm)) {
    throw new QtError('QT_ERR_TSP_HASH_UNSUPPORTED', `This authority does not stamp ${digestName(hashAlgorithm)} hashes`, { hashAlgorithm });
  }
  // Hash AlgorithmIdentifiers carry NULL parameters or none (RFC 5754); anything else is another algorithm.
  if (params && !(params.end - params.start === 2 && buf[params.start] === NULL_PARAMS[0] && buf[params.start + 1] === NULL_PARAMS[1])) {
    throw new QtError('QT_ERR_TSP_HASH_UNSUPPORTED', `The ${digestName(hashAlgorithm)} AlgorithmIdentifier carries parameters; a hash takes none`, { hashAlgorithm });
  }
  const hashedMessage = contentOf(buf, hashed);
  const expected = digestLength(hashAlgorithm);
  if (hashedMessage.length !== expected) {
    throw new QtError('QT_ERR_TSP_REQUEST_MALFORMED', `The hashed message is ${hashedMessage.length} bytes long; a ${digestName(hashAlgorithm)} hash is ${expected}`, {
      length: hashedMessage.length,
      expected,
    });
  }
  return { hashOid: hashAlgorithm, hashedMessage };
}

function knownDigest(digestOid: string): boolean {
  try {
    digestLength(digestOid);
    return true;
  } catch {
    return false;
  }
}

function isVersionOne(buf: Bytes, t: Tlv): boolean {
  return t.end - t.contentStart === 1 && buf[t.contentStart] === 1;
}

function versionText(buf: Bytes, t: Tlv): string {
  const content = contentOf(buf, t);
  if (content.length === 0 || content.length > 6) return 'not a small number';
  let v = (content[0] as number) & 0x80 ? -1 : 0;
  for (const b of content) v = v * 256 + b;
  return String(v);
}

/** DER INTEGER content: not empty, no redundant leading 0x00 / 0xFF octet. */
function isMinimalInteger(c: Uint8Array): boolean {
  if (c.length === 0) return false;
  if (c.length === 1) return true;
  const [a, b] = [c[0] as number, c[1] as number];
  return !((a === 0x00 && !(b & 0x80)) || (a === 0xff && b & 0x80));
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw malformed(e);
  }
}

function malformed(why: unknown): QtError {
  if (isQtError(why) && why.code !== 'QT_ERR_DER_MALFORMED') return why;
  const text = typeof why === 'string' ? why : why instanceof Error ? why.message : String(why);
  return new QtError('QT_ERR_TSP_REQUEST_MALFORMED', `The time-stamp request is malformed: ${text}`);
}

export function nonceHex(nonce: Uint8Array): string {
  return toHex(minimalInteger(nonce));
}
