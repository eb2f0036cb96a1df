/**
 * Signature algorithms by OID: one registry, so certificates, CRLs, OCSP, CMS and XML all verify the
 * same way and a new family (GOST, issue 8) plugs in with one `registerSignatureAlgorithm` call.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { ECDSASigValue, ECParameters } from '@peculiar/asn1-ecc';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import { QtError } from '@qoltanba/errors';
import { oid, oidNames } from '../oids.ts';
import { concatBytes, toArrayBuffer, toBase64, type Bytes } from '../encoding.ts';
import { childrenOf, readOid, readTlv, readWhole, TAG } from '../der/read.ts';
import { readSpki, type SpkiParts } from './spki.ts';
import { getCrypto, hashNameFromOid, type HashName } from './provider.ts';

export interface VerifyInput {
  /** DER SubjectPublicKeyInfo of the signer. */
  spki: Uint8Array;
  /** DER of the AlgorithmIdentifier parameters, when present. */
  parameters?: Uint8Array | undefined;
  data: Uint8Array;
  /** The signature as it appears in the structure (BIT STRING contents, CMS OCTET STRING). */
  signature: Uint8Array;
}

export interface SignatureAlgorithm {
  oid: string;
  name: string;
  verify(input: VerifyInput): Promise<boolean>;
}

const registry = new Map<string, SignatureAlgorithm>();

export function registerSignatureAlgorithm(alg: SignatureAlgorithm): void {
  registry.set(alg.oid, alg);
}

export function algorithmName(algOid: string): string {
  return registry.get(algOid)?.name ?? oidNames[algOid] ?? algOid;
}

export function isSignatureAlgorithmSupported(algOid: string): boolean {
  return registry.has(algOid);
}

/** Verifies a signature; throws QT_ERR_ALGORITHM_UNSUPPORTED for algorithms we cannot check yet. */
export async function verifySignature(algorithmOid: string, input: VerifyInput): Promise<boolean> {
  const alg = registry.get(algorithmOid);
  if (!alg) {
    throw new QtError(
      'QT_ERR_ALGORITHM_UNSUPPORTED',
      `Signatures of algorithm ${oidNames[algorithmOid] ?? algorithmOid} cannot be verified yet`,
      { oid: algorithmOid },
    );
  }
  try {
    return await alg.verify(input);
  } catch (e) {
    if (e instanceof QtError) throw e;
    // A key WebCrypto refuses to import is a malformed key, not a failed signature.
    throw new QtError('QT_ERR_KEY_MALFORMED', `The public key cannot be used: ${(e as Error).message}`, undefined, { cause: e });
  }
}

/** The SubjectPublicKeyInfo algorithm OID of a DER SPKI. */
export function spkiAlgorithm(spki: Uint8Array): { oid: string; parameters: Bytes | undefined } {
  const info = readSpki(spki);
  return { oid: info.algorithmOid, parameters: info.parameters?.slice() };
}

export interface PublicKeyInfo {
  /** e.g. "RSA", "EC", "GOST 34.10-2015 (512)" */
  algorithm: string;
  algorithmOid: string;
  /** Key size in bits when known (RSA modulus, EC/GOST field size). */
  bits: number | undefined;
  /** RSA public exponent. */
  exponent: number | undefined;
}

export function describePublicKey(spki: Uint8Array): PublicKeyInfo {
  let info: SpkiParts;
  try {
    info = readSpki(spki);
  } catch (e) {
    throw new QtError('QT_ERR_KEY_MALFORMED', undefined, undefined, { cause: e });
  }
  const algOid = info.algorithmOid;
  const name = oidNames[algOid] ?? algOid;
  if (algOid === oid.rsaEncryption || algOid === oid.rsaPss) {
    try {
      const { modulus: n, exponent: e } = readRsaPublicKey(info.publicKey);
      let i = 0;
      while (i < n.length && n[i] === 0) i++;
      const bits = n.length - i === 0 ? 0 : (n.length - i - 1) * 8 + (32 - Math.clz32(n[i] as number));
      const exponent = e.length > 6 ? Number.MAX_SAFE_INTEGER : e.reduce((acc, b) => acc * 256 + b, 0);
      return { algorithm: 'RSA', algorithmOid: algOid, bits, exponent };
    } catch (e) {
      throw new QtError('QT_ERR_KEY_MALFORMED', 'The RSA public key is malformed', undefined, { cause: e });
    }
  }
  if (algOid === oid.ecPublicKey) {
    // ECParameters is a CHOICE; only namedCurve (an OID) names a curve we know.
    const curve = info.parameters?.[0] === TAG.oid ? readOid(info.parameters, readTlv(info.parameters, 0)) : undefined;
    const bits = curve === oid.secp256r1 ? 256 : curve === oid.secp384r1 ? 384 : undefined;
    return { algorithm: 'EC', algorithmOid: algOid, bits, exponent: undefined };
  }
  const gostBits: Record<string, number> = { [oid.kzGost2004Key]: 256, [oid.kzGost2015_256Key]: 256, [oid.kzGost2015_512Key]: 512 };
  return { algorithm: name, algorithmOid: algOid, bits: gostBits[algOid], exponent: undefined };
}

/** RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 A.1.1), as INTEGER contents. */
function readRsaPublicKey(der: Uint8Array): { modulus: Uint8Array; exponent: Uint8Array } {
  const seq = readWhole(der, TAG.sequence, 'RSAPublicKey');
  const [n, e, extra] = childrenOf(der, seq);
  if (!n || !e || extra || n.tag !== TAG.integer || e.tag !== TAG.integer || n.end === n.contentStart || e.end === e.contentStart) {
    throw new QtError('QT_ERR_KEY_MALFORMED', 'RSAPublicKey is not SEQUENCE { INTEGER, INTEGER }');
  }
  return { modulus: der.subarray(n.contentStart, n.end), exponent: der.subarray(e.contentStart, e.end) };
}

// ---- Built-in algorithms: RSA PKCS#1 v1.5, RSA-PSS, ECDSA (all through WebCrypto) ----

function rsaPkcs1(algOid: string, hash: HashName): SignatureAlgorithm {
  return {
    oid: algOid,
    name: `RSA/${hash}`,
    async verify({ spki, data, signature }) {
      const key = await rsaVerifyKey(spki, hash);
      return getCrypto().subtle.verify('RSASSA-PKCS1-v1_5', key, toArrayBuffer(signature), toArrayBuffer(data));
    },
  };
}

/**
 * Imported RSA verification keys, most recently used last. The same few keys verify most signatures (the CA's
 * own key after every issuance, issuing and root CAs in every chain, the OCSP signer), and importing one costs
 * about three times the verification itself (RSA-4096: 0.25 ms against 0.09 ms). One-off keys (a CSR's) pass
 * through and age out; the cache is keyed by the exact SPKI bytes, so it can only ever return the same key.
 */
const RSA_KEY_CACHE_SIZE = 256;
const rsaKeys = new Map<string, Promise<CryptoKey>>();

function rsaVerifyKey(spki: Uint8Array, hash: HashName): Promise<CryptoKey> {
  const id = `${hash} ${toBase64(spki)}`;
  let key = rsaKeys.get(id);
  if (key) {
    rsaKeys.delete(id);
  } else {
    key = getCrypto().subtle.importKey('spki', toArrayBuffer(spki), { name: 'RSASSA-PKCS1-v1_5', hash }, false, ['verify']);
    // A key WebCrypto refuses is refused again next time, not remembered.
    key.catch(() => rsaKeys.delete(id));
    if (rsaKeys.size >= RSA_KEY_CACHE_SIZE) rsaKeys.delete(rsaKeys.keys().next().value as string);
  }
  rsaKeys.set(id, key);
  return key;
}

registerSignatureAlgorithm(rsaPkcs1(oid.sha1WithRsa, 'SHA-1'));
registerSignatureAlgorithm(rsaPkcs1(oid.sha256WithRsa, 'SHA-256'));
registerSignatureAlgorithm(rsaPkcs1(oid.sha384WithRsa, 'SHA-384'));
registerSignatureAlgorithm(rsaPkcs1(oid.sha512WithRsa, 'SHA-512'));
registerSignatureAlgorithm({
  oid: oid.rsaPss,
  name: 'RSA-PSS',
  async verify({ spki, parameters, data, signature }) {
    const params = parameters ? AsnConvert.parse(toArrayBuffer(parameters), RsaSaPssParams) : new RsaSaPssParams();
    const hash = hashNameFromOid(params.hashAlgorithm.algorithm);
    const subtle = getCrypto().subtle;
    // WebCrypto will not import an id-RSASSA-PSS SPKI; re-label it rsaEncryption (same key bytes).
    const info = AsnConvert.parse(toArrayBuffer(spki), SubjectPublicKeyInfo);
    info.algorithm.algorithm = oid.rsaEncryption;
    info.algorithm.parameters = new Uint8Array([5, 0]).buffer;
    const key = await subtle.importKey('spki', AsnConvert.serialize(info), { name: 'RSA-PSS', hash }, false, ['verify']);
    return subtle.verify({ name: 'RSA-PSS', saltLength: params.saltLength }, key, toArrayBuffer(signature), toArrayBuffer(data));
  },
});

const curveNames: Record<string, { name: 'P-256' | 'P-384'; size: number }> = {
  [oid.secp256r1]: { name: 'P-256', size: 32 },
  [oid.secp384r1]: { name: 'P-384', size: 48 },
};

/** DER ECDSA-Sig-Value → the fixed-width r‖s WebCrypto wants. */
export function ecdsaDerToRaw(der: Uint8Array, size: number): Bytes {
  const sig = AsnConvert.parse(toArrayBuffer(der), ECDSASigValue);
  const fit = (v: ArrayBuffer): Bytes => {
    let b = new Uint8Array(v);
    while (b.length > size && b[0] === 0) b = b.subarray(1);
    if (b.length > size) throw new QtError('QT_ERR_SIGNATURE_INVALID', 'The ECDSA signature value is too long');
    const out = new Uint8Array(size);
    out.set(b, size - b.length);
    return out;
  };
  return concatBytes(fit(sig.r), fit(sig.s));
}

/** WebCrypto's r‖s → DER ECDSA-Sig-Value. */
export function ecdsaRawToDer(raw: Uint8Array): Bytes {
  const half = raw.length / 2;
  const value = new ECDSASigValue();
  const int = (b: Uint8Array): ArrayBuffer => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const trimmed = b.subarray(i);
    return toArrayBuffer((trimmed[0] as number) & 0x80 ? concatBytes([0], trimmed) : trimmed);
  };
  value.r = int(raw.subarray(0, half));
  value.s = int(raw.subarray(half));
  return new Uint8Array(AsnConvert.serialize(value));
}

function ecdsa(algOid: string, hash: HashName): SignatureAlgorithm {
  return {
    oid: algOid,
    name: `ECDSA/${hash}`,
    async verify({ spki, data, signature }) {
      const info = AsnConvert.parse(toArrayBuffer(spki), SubjectPublicKeyInfo);
      const curveOid = info.algorithm.parameters ? AsnConvert.parse(info.algorithm.parameters, ECParameters).namedCurve : undefined;
      const curve = curveOid ? curveNames[curveOid] : undefined;
      if (!curve) throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `The elliptic curve ${curveOid ?? '(implicit)'} is not supported`);
      const subtle = getCrypto().subtle;
      const key = await subtle.importKey('spki', toArrayBuffer(spki), { name: 'ECDSA', namedCurve: curve.name }, false, ['verify']);
      let raw: Bytes;
      try {
        raw = ecdsaDerToRaw(signature, curve.size);
      } catch {
        return false;
      }
      return subtle.verify({ name: 'ECDSA', hash }, key, toArrayBuffer(raw), toArrayBuffer(data));
    },
  };
}

registerSignatureAlgorithm(ecdsa(oid.ecdsaWithSha256, 'SHA-256'));
registerSignatureAlgorithm(ecdsa(oid.ecdsaWithSha384, 'SHA-384'));
registerSignatureAlgorithm(ecdsa(oid.ecdsaWithSha512, 'SHA-512'));

/**
 * The signature algorithm OID to use when a structure (CMS SignerInfo) names only the key algorithm
 * and a separate digest algorithm.
 */
export function signatureOidFor(keyOrSigOid: string, digestOid: string): string {
  const hash = hashNameFromOid(digestOid);
  if (keyOrSigOid === oid.rsaEncryption) {
    return { 'SHA-1': oid.sha1WithRsa, 'SHA-256': oid.sha256WithRsa, 'SHA-384': oid.sha384WithRsa, 'SHA-512': oid.sha512WithRsa }[hash];
  }
  if (keyOrSigOid === oid.ecPublicKey) {
    const m: Partial<Record<HashName, string>> = { 'SHA-256': oid.ecdsaWithSha256, 'SHA-384': oid.ecdsaWithSha384, 'SHA-512': oid.ecdsaWithSha512 };
    const s = m[hash];
    if (!s) throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `ECDSA with ${hash} is not supported`);
    return s;
  }
  return keyOrSigOid;
}
