/**
 * RFC 3161 TimeStampReq: the imprint of the bytes to stamp (any registered hash, Streebog included), a
 * random nonce, certReq and an optional policy. The TSA answers with a token that must echo the imprint
 * and the nonce (response.ts, check.ts).
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { QtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { derFrom, toArrayBuffer, toHex, type Bytes } from '../encoding.ts';
import { minimalInteger } from '../cms/certificates.ts';
import { digestByOid, digestLength, digestName } from '../cms/digests.ts';
import { TAG, childrenOf, readOid, readTlv, readingAs } from '../der/read.ts';
import { MessageImprint, TimeStampReq } from './asn1.ts';

/** Hash names a caller may use besides OIDs; Streebog is NCA's (Kazakh OIDs), as in NCA's own stamps. */
const HASH_NAMES: Readonly<Record<string, string>> = {
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
  const found = HASH_NAMES[hash] ?? (/^\d+(\.\d+)+$/.test(hash) ? hash : undefined);
  if (!found) throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `"${hash}" is not a hash algorithm name (${Object.keys(HASH_NAMES).join(', ')}) or OID`);
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
  /** Minimal big-endian nonce, when one was sent. */
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
  const request = new TimeStampReq({
    messageImprint: Object.assign(new MessageImprint(), {
      hashAlgorithm: new AlgorithmIdentifier({ algorithm: hashOid }),
      hashedMessage: new OctetString(imprint),
    }),
    reqPolicy: options.policy,
    nonce: nonce ? toArrayBuffer(nonce) : undefined,
    certReq,
  });
  return { der: new Uint8Array(AsnConvert.serialize(request)), hashOid, imprint, nonce, certReq, policy: options.policy };
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

/**
 * Reads a TimeStampReq (DER). Strict about what a TSA must refuse as badDataFormat: trailing bytes, a version
 * other than 1, an imprint whose length does not fit its hash.
 */
export function readTimeStampRequest(input: Uint8Array | string): TimeStampRequest {
  let der: Bytes;
  let request: TimeStampReq;
  try {
    der = derFrom(input);
    request = AsnConvert.parse(toArrayBuffer(der), TimeStampReq);
  } catch (e) {
    throw new QtError('QT_ERR_TSP_MALFORMED', `The time-stamp request is malformed: ${(e as Error).message}`, undefined, { cause: e });
  }
  const outer = readingAs('QT_ERR_TSP_MALFORMED', 'The time-stamp request', () => readTlv(der, 0));
  if (outer.end !== der.length) throw new QtError('QT_ERR_TSP_MALFORMED', 'The time-stamp request has bytes after its end');
  if (request.version !== 1) throw new QtError('QT_ERR_TSP_MALFORMED', `The time-stamp request has version ${request.version}; RFC 3161 knows only version 1`);
  const hashOid = request.messageImprint.hashAlgorithm.algorithm;
  const imprint = new Uint8Array(request.messageImprint.hashedMessage.buffer);
  let expected: number | undefined;
  try {
    expected = digestLength(hashOid);
  } catch {
    expected = undefined; // an unknown hash is the TSA's decision (badAlg), not a format error
  }
  if (expected !== undefined && imprint.length !== expected) {
    throw new QtError('QT_ERR_TSP_MALFORMED', `The imprint is ${imprint.length} bytes long; a ${digestName(hashOid)} digest is ${expected}`);
  }
  return {
    der,
    hashOid,
    imprint,
    nonce: request.nonce ? minimalInteger(new Uint8Array(request.nonce)) : undefined,
    certReq: request.certReq,
    // Read with the DER reader: asn1js prints OID arcs past 2^53 (UUID policies, 2.25.<uuid>) as hex.
    policy: request.reqPolicy === undefined ? undefined : readingAs('QT_ERR_TSP_MALFORMED', 'The requested policy', () => {
      const policy = childrenOf(der, outer).find((t) => t.tag === TAG.oid);
      return policy ? readOid(der, policy) : request.reqPolicy;
    }),
  };
}

export function nonceHex(nonce: Uint8Array): string {
  return toHex(minimalInteger(nonce));
}
