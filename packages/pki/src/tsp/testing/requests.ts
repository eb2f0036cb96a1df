/**
 * Test support for the time-stamping authority's tests: TimeStampReq built field by field, so a test can
 * send exactly the malformation it is about (openssl ts -query builds the well-formed ones). Not the
 * client's request builder: this one also writes what no client should.
 */
import { oid } from '../../oids.ts';
import { concatBytes, type Bytes } from '../../encoding.ts';
import { TAG, contextTag } from '../../der/read.ts';
import { boolean, extension, integer, objectIdentifier, octetString, sequence, tlv } from '../../der/write.ts';

export interface TestRequestFields {
  version?: number;
  hashAlgorithm?: string;
  /** DER of AlgorithmIdentifier parameters; default none. */
  hashParameters?: Uint8Array;
  hashedMessage?: Uint8Array;
  policy?: string;
  /** INTEGER content octets, written as given (even when not minimal). */
  nonce?: Uint8Array;
  certReq?: boolean;
  /** Extension OIDs to add (non-critical, empty value). */
  extensions?: string[];
}

export function testRequest(fields: TestRequestFields = {}): Bytes {
  const hashAlgorithm = fields.hashAlgorithm ?? oid.sha256;
  const hashed = fields.hashedMessage ?? new Uint8Array(32).fill(0x5a);
  const algorithm = sequence(objectIdentifier(hashAlgorithm), ...(fields.hashParameters ? [fields.hashParameters] : []));
  return sequence(
    integer(fields.version ?? 1),
    sequence(algorithm, octetString(hashed)),
    ...(fields.policy ? [objectIdentifier(fields.policy)] : []),
    ...(fields.nonce ? [tlv(TAG.integer, fields.nonce)] : []),
    ...(fields.certReq ? [boolean(true)] : []),
    ...(fields.extensions?.length ? [tlv(contextTag(0, true), ...fields.extensions.map((o) => extension(o, false, new Uint8Array([TAG.null, 0]))))] : []),
  );
}

/** Bytes of a request with `extra` appended inside its outer SEQUENCE (an element out of order). */
export function withTrailingElement(fields: TestRequestFields, extra: Uint8Array): Bytes {
  const inner = testRequest(fields);
  // Re-frame: drop the outer header (short or long form) and wrap the content plus the extra element.
  const headerLength = inner[1]! < 0x80 ? 2 : 2 + (inner[1]! & 0x7f);
  return sequence(concatBytes(inner.subarray(headerLength), extra));
}
