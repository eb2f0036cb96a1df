/**
 * A TimeStampReq (RFC 3161 §2.4.1) as the time-stamping authority reads it. Hand-read with the DER
 * reader rather than a tree parser: every stamp starts here, the request is a handful of elements, and
 * each way it can be wrong must come out as its own code, because each is its own PKIFailureInfo
 * (tsa-reply.ts): not DER or truncated → QT_ERR_TSP_REQUEST_MALFORMED (badDataFormat), version ≠ 1 →
 * QT_ERR_TSP_REQUEST_VERSION (badRequest), a hash not accepted → QT_ERR_TSP_HASH_UNSUPPORTED (badAlg),
 * any extension → QT_ERR_TSP_EXTENSION_UNACCEPTED (we recognise none, and §2.4.2 says an unrecognised
 * one, critical or not, is refused). Which policies are acceptable is the caller's decision.
 *
 *   TimeStampReq ::= SEQUENCE { version INTEGER { v1(1) }, messageImprint MessageImprint,
 *     reqPolicy TSAPolicyId OPTIONAL, nonce INTEGER OPTIONAL, certReq BOOLEAN DEFAULT FALSE,
 *     extensions [0] IMPLICIT Extensions OPTIONAL }
 *   MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }
 */
import { QtError, isQtError } from '@qoltanba/errors';
import type { Bytes } from '../encoding.ts';
import { TAG, childrenOf, contentOf, contextTag, elementOf, readOid, readWhole, type Tlv } from '../der/read.ts';
import { digestLength, digestName } from '../crypto/digests.ts';

export interface TsaRequest {
  /** OID of the hash the client computed. */
  hashAlgorithm: string;
  hashedMessage: Bytes;
  /** The MessageImprint element exactly as received: TSTInfo must carry the same value (§2.4.2). */
  messageImprintDer: Bytes;
  /** The policy the client asks for, if any. */
  policy: string | undefined;
  /** The nonce INTEGER's content octets as received, to be echoed unchanged. */
  nonce: Bytes | undefined;
  /** Whether the token must carry the TSA's certificate. */
  certReq: boolean;
}

export interface ReadTsaRequestOptions {
  /** Digest OIDs this authority stamps. */
  acceptedHashes: ReadonlySet<string>;
}

const NULL_PARAMS = [TAG.null, 0];

export function readTsaRequest(der: Uint8Array, options: ReadTsaRequestOptions): TsaRequest {
  const buf = der as Bytes;
  let top: Tlv[];
  try {
    top = childrenOf(buf, readWhole(buf, TAG.sequence, 'TimeStampReq'));
  } catch (e) {
    throw malformed(e);
  }
  const [version, imprint, ...rest] = top;
  if (version?.tag !== TAG.integer) throw malformed('it does not start with the version INTEGER');
  if (!isVersionOne(buf, version)) throw new QtError('QT_ERR_TSP_REQUEST_VERSION', `The time-stamp request is version ${versionText(buf, version)}; only version 1 exists (RFC 3161)`);
  if (imprint?.tag !== TAG.sequence) throw malformed('the messageImprint SEQUENCE is missing');
  const { hashAlgorithm, hashedMessage } = readImprint(buf, imprint, options);

  let policy: string | undefined;
  let nonce: Bytes | undefined;
  let certReq = false;
  // The optional fields in their order; each may appear once, and nothing may follow the extensions.
  let next = 0;
  for (const field of rest) {
    if (field.tag === TAG.oid && next <= 0) {
      policy = guard(() => readOid(buf, field));
      next = 1;
    } else if (field.tag === TAG.integer && next <= 1) {
      nonce = contentOf(buf, field);
      if (!isMinimalInteger(nonce)) throw malformed('the nonce is not a DER INTEGER');
      next = 2;
    } else if (field.tag === TAG.boolean && next <= 2) {
      const value = contentOf(buf, field);
      if (value.length !== 1) throw malformed('certReq is not a BOOLEAN');
      certReq = value[0] !== 0;
      next = 3;
    } else if (field.tag === contextTag(0, true) && next <= 3) {
      const extensions = guard(() => childrenOf(buf, field));
      const oids = extensions.map((e) => (e.tag === TAG.sequence ? guard(() => readOid(buf, childrenOf(buf, e)[0] ?? e)) : '?'));
      throw new QtError('QT_ERR_TSP_EXTENSION_UNACCEPTED', `The time-stamp request carries extension ${oids.join(', ')}; this authority supports none`, { extensions: oids });
    } else {
      throw malformed(`unexpected element (tag 0x${field.tag.toString(16)}) after the messageImprint`);
    }
  }
  return { hashAlgorithm, hashedMessage, messageImprintDer: elementOf(buf, imprint), policy, nonce, certReq };
}

function readImprint(buf: Bytes, imprint: Tlv, options: ReadTsaRequestOptions): { hashAlgorithm: string; hashedMessage: Bytes } {
  const [algorithm, hashed, extra] = guard(() => childrenOf(buf, imprint));
  if (algorithm?.tag !== TAG.sequence || hashed?.tag !== TAG.octetString || extra) throw malformed('the messageImprint is not { AlgorithmIdentifier, OCTET STRING }');
  const [algOid, params, extraParam] = guard(() => childrenOf(buf, algorithm));
  if (!algOid || extraParam) throw malformed('the hash AlgorithmIdentifier is malformed');
  const hashAlgorithm = guard(() => readOid(buf, algOid));
  if (!options.acceptedHashes.has(hashAlgorithm)) {
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
  return { hashAlgorithm, hashedMessage };
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
