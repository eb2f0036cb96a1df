/**
 * The Kazakh (NCA/Kalkan) byte layouts of GOST keys and signatures, hand-written because no library
 * knows them. Checked on NCA's own certificates, CRLs, OCSP responses, CMS and key files:
 *
 * - digest → number: the hash bytes read little-endian (as the OpenSSL GOST engine also does);
 * - public key: SPKI BIT STRING holding an OCTET STRING of x‖y, each little-endian (as RFC 4491);
 * - signature: r‖s, each little-endian — the byte reversal of RFC 4491's s‖r big-endian;
 * - private key (PKCS#8): 2015 keys d little-endian in an OCTET STRING inside the privateKey OCTET
 *   STRING, 2004 keys a big-endian INTEGER there.
 */
import { QtError } from '@qoltanba/errors';
import { concatBytes, type Bytes } from '../encoding.ts';
import { TAG, childrenOf, contentOf, readOid, readWhole, type Tlv } from '../der/read.ts';
import { integer, objectIdentifier, octetString, sequence, tlv } from '../der/write.ts';
import { curveOf, type GostCurve, type GostPoint } from './curves.ts';
import { curveParamsFor, kzGostByKeyOid, type KzGostAlgorithm } from './kz-algorithms.ts';
import { eFromNumber, type GostSignatureValue } from './sign.ts';

export function fromLittleEndian(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

export function fromBigEndian(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

export function toLittleEndian(v: bigint, size: number): Bytes {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new QtError('QT_ERR_INPUT_INVALID', `The number does not fit in ${size} bytes`);
  return out;
}

export function toBigEndian(v: bigint, size: number): Bytes {
  return toLittleEndian(v, size).reverse();
}

/** The number e of GOST R 34.10 from a digest as NCA computes it: little-endian, mod q, 0 → 1. */
export function eFromDigest(digest: Uint8Array, curve: GostCurve): bigint {
  return eFromNumber(fromLittleEndian(digest), curve);
}

// ---- Signatures ----

function checkSignatureLength(signature: Uint8Array, curve: GostCurve): void {
  if (signature.length !== 2 * curve.size) {
    throw new QtError(
      'QT_ERR_SIGNATURE_INVALID',
      `The GOST signature is ${signature.length} bytes; a ${curve.size * 8}-bit key signs with ${2 * curve.size}`,
      { length: signature.length, expected: 2 * curve.size },
    );
  }
}

/** NCA's signature bytes (certificates, CRLs, OCSP, CMS, XML): r‖s, little-endian each. */
export function decodeKzSignature(signature: Uint8Array, curve: GostCurve): GostSignatureValue {
  checkSignatureLength(signature, curve);
  return { r: fromLittleEndian(signature.subarray(0, curve.size)), s: fromLittleEndian(signature.subarray(curve.size)) };
}

export function encodeKzSignature({ r, s }: GostSignatureValue, curve: GostCurve): Bytes {
  return concatBytes(toLittleEndian(r, curve.size), toLittleEndian(s, curve.size));
}

/** RFC 4491 / RFC 7091 (Russian software, the OpenSSL engine): s‖r, big-endian each. */
export function decodeRfc4491Signature(signature: Uint8Array, curve: GostCurve): GostSignatureValue {
  checkSignatureLength(signature, curve);
  return { s: fromBigEndian(signature.subarray(0, curve.size)), r: fromBigEndian(signature.subarray(curve.size)) };
}

export function encodeRfc4491Signature({ r, s }: GostSignatureValue, curve: GostCurve): Bytes {
  return concatBytes(toBigEndian(s, curve.size), toBigEndian(r, curve.size));
}

// ---- Public keys ----

/** x‖y little-endian → a point checked to lie on the curve (and not be the point at infinity). */
export function decodePublicPoint(raw: Uint8Array, curve: GostCurve): GostPoint {
  if (raw.length !== 2 * curve.size) {
    throw new QtError('QT_ERR_KEY_MALFORMED', `The GOST public key is ${raw.length} bytes; ${2 * curve.size} are expected on ${curve.name}`);
  }
  const x = fromLittleEndian(raw.subarray(0, curve.size));
  const y = fromLittleEndian(raw.subarray(curve.size));
  if (x >= curve.p || y >= curve.p) {
    throw new QtError('QT_ERR_GOST_POINT_INVALID', `A coordinate of the GOST public key is not an element of the field of ${curve.name}`);
  }
  let point: GostPoint;
  try {
    // noble refuses some coordinates already here (y = 0, say), so building the point is inside the try too.
    point = curve.Point.fromAffine({ x, y });
    point.assertValidity();
  } catch (e) {
    throw new QtError('QT_ERR_GOST_POINT_INVALID', `The GOST public key is not a point of ${curve.name}`, undefined, { cause: e });
  }
  // fromAffine maps (0, 0) to the identity, which assertValidity refuses; keep a check of our own too.
  if (point.is0()) throw new QtError('QT_ERR_GOST_POINT_INVALID', 'The GOST public key is the point at infinity');
  return point;
}

export function encodePublicPoint(point: GostPoint, curve: GostCurve): Bytes {
  const { x, y } = point.toAffine();
  return concatBytes(toLittleEndian(x, curve.size), toLittleEndian(y, curve.size));
}

export interface KzGostPublicKey {
  algorithm: KzGostAlgorithm;
  curve: GostCurve;
  point: GostPoint;
  /** The curve and hash parameter OIDs the key names. */
  curveOid: string | undefined;
  digestParamsOid: string | undefined;
}

function malformedKey(message: string, cause?: unknown): QtError {
  return new QtError('QT_ERR_KEY_MALFORMED', `The GOST public key is malformed: ${message}`, undefined, cause ? { cause } : undefined);
}

/** GOST parameters: SEQUENCE { curve OID, digest parameters OID, … } (NULL or absent allowed). */
function readParams(buf: Bytes, params: Tlv | undefined): { curveOid: string | undefined; digestParamsOid: string | undefined } {
  if (!params || params.tag === TAG.null) return { curveOid: undefined, digestParamsOid: undefined };
  if (params.tag !== TAG.sequence) throw malformedKey('the algorithm parameters are not a SEQUENCE');
  const [curve, digest] = childrenOf(buf, params);
  if (!curve || curve.tag !== TAG.oid) throw malformedKey('the algorithm parameters name no curve');
  return { curveOid: readOid(buf, curve), digestParamsOid: digest?.tag === TAG.oid ? readOid(buf, digest) : undefined };
}

/** Reads a DER SubjectPublicKeyInfo of an NCA GOST key; throws for other algorithms or bad points. */
export function readKzGostSpki(spki: Uint8Array): KzGostPublicKey {
  const buf = spki as Bytes;
  let algOid: string;
  let params: ReturnType<typeof readParams>;
  let keyBits: Bytes;
  try {
    const top = readWhole(buf, TAG.sequence, 'SubjectPublicKeyInfo');
    const [algId, bits] = childrenOf(buf, top);
    if (!algId || algId.tag !== TAG.sequence || !bits || bits.tag !== TAG.bitString) throw malformedKey('not a SubjectPublicKeyInfo');
    const [algOidTlv, paramsTlv] = childrenOf(buf, algId);
    if (!algOidTlv || algOidTlv.tag !== TAG.oid) throw malformedKey('no algorithm OID');
    algOid = readOid(buf, algOidTlv);
    params = readParams(buf, paramsTlv);
    keyBits = contentOf(buf, bits);
  } catch (e) {
    if (e instanceof QtError && e.code === 'QT_ERR_KEY_MALFORMED') throw e;
    throw malformedKey((e as Error).message, e);
  }
  const algorithm = kzGostByKeyOid(algOid);
  if (!algorithm) throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `${algOid} is not a Kazakh GOST key algorithm`, { oid: algOid });
  const curve = curveOf(curveParamsFor(algorithm, params.curveOid));
  // BIT STRING: no unused bits, then the DER OCTET STRING holding x‖y.
  if (keyBits[0] !== 0) throw malformedKey('the key BIT STRING has unused bits');
  let raw: Bytes;
  try {
    const inner = keyBits.subarray(1);
    raw = contentOf(inner, readWhole(inner, TAG.octetString, 'public key OCTET STRING'));
  } catch (e) {
    throw malformedKey((e as Error).message, e);
  }
  return { algorithm, curve, point: decodePublicPoint(raw, curve), ...params };
}

/** The DER SubjectPublicKeyInfo NCA writes for a key: its OIDs, parameters and x‖y little-endian. */
export function kzGostSpki(algorithm: KzGostAlgorithm, point: GostPoint, curve: GostCurve): Bytes {
  const params = algorithm.defaultParams;
  if (!params) throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `${algorithm.name} keys cannot be written (their curve is not known)`);
  const algId = sequence(objectIdentifier(algorithm.keyOid), sequence(objectIdentifier(params.curveOid), objectIdentifier(params.digestParamsOid)));
  const keyOctets = octetString(encodePublicPoint(point, curve));
  return sequence(algId, tlv(TAG.bitString, new Uint8Array([0]), keyOctets));
}

// ---- Private keys (PKCS#8) ----

export interface KzGostPrivateKey {
  algorithm: KzGostAlgorithm;
  curve: GostCurve;
  /** The private scalar. */
  d: bigint;
}

function malformedPrivate(message: string, cause?: unknown): QtError {
  return new QtError('QT_ERR_KEY_MALFORMED', `The GOST private key is malformed: ${message}`, undefined, cause ? { cause } : undefined);
}

/**
 * Reads NCA's GOST PKCS#8: accepts both inner layouts (an OCTET STRING of d little-endian, or an
 * INTEGER d big-endian) whatever the algorithm, since the tag says which one it is.
 */
export function readKzGostPkcs8(pkcs8: Uint8Array): KzGostPrivateKey {
  const buf = pkcs8 as Bytes;
  let algOid: string;
  let params: ReturnType<typeof readParams>;
  let d: bigint;
  try {
    const top = readWhole(buf, TAG.sequence, 'PrivateKeyInfo');
    const [version, algId, key] = childrenOf(buf, top);
    if (!version || version.tag !== TAG.integer || !algId || algId.tag !== TAG.sequence || !key || key.tag !== TAG.octetString) {
      throw malformedPrivate('not a PrivateKeyInfo');
    }
    const [algOidTlv, paramsTlv] = childrenOf(buf, algId);
    if (!algOidTlv || algOidTlv.tag !== TAG.oid) throw malformedPrivate('no algorithm OID');
    algOid = readOid(buf, algOidTlv);
    params = readParams(buf, paramsTlv);
    const inner = contentOf(buf, key);
    const first = inner[0];
    if (first === TAG.octetString) {
      d = fromLittleEndian(contentOf(inner, readWhole(inner, TAG.octetString, 'private key OCTET STRING')));
    } else if (first === TAG.integer) {
      const t = readWhole(inner, TAG.integer, 'private key INTEGER');
      const content = contentOf(inner, t);
      if (content.length === 0 || (content[0]! & 0x80) !== 0) throw malformedPrivate('the private key INTEGER is not positive');
      d = fromBigEndian(content);
    } else {
      // Some Russian software stores the bare little-endian octets.
      d = fromLittleEndian(inner);
    }
  } catch (e) {
    if (e instanceof QtError && e.code === 'QT_ERR_KEY_MALFORMED') throw e;
    throw malformedPrivate((e as Error).message, e);
  }
  const algorithm = kzGostByKeyOid(algOid);
  if (!algorithm) throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `${algOid} is not a Kazakh GOST key algorithm`, { oid: algOid });
  const curve = curveOf(curveParamsFor(algorithm, params.curveOid));
  if (d <= 0n || d >= curve.q) throw malformedPrivate(`the private scalar is not in [1, q-1] of ${curve.name}`);
  return { algorithm, curve, d };
}

/** PKCS#8 in NCA's layout for the algorithm (what Kalkan and NCALayer read back). */
export function kzGostPkcs8(algorithm: KzGostAlgorithm, d: bigint, curve: GostCurve): Bytes {
  const params = algorithm.defaultParams;
  if (!params) throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `${algorithm.name} keys cannot be written (their curve is not known)`);
  const algId = sequence(objectIdentifier(algorithm.keyOid), sequence(objectIdentifier(params.curveOid), objectIdentifier(params.digestParamsOid)));
  const inner = algorithm.privateKeyForm === 'octets-le' ? octetString(toLittleEndian(d, curve.size)) : integer(d);
  return sequence(integer(0), algId, octetString(inner));
}
