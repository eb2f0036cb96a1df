/**
 * The signature of the pre-certificate the lint reads: the TBS is framed as a whole certificate and parsed
 * back before the real CA key is asked for anything. The lint never verifies that signature (nothing could
 * trust it), it only reads the layout, so for RSA the value is a placeholder of exactly the real signature's
 * length (the CA modulus' bytes), zeros: an RSA-2048 throwaway signature cost 0.5–0.9 ms of CPU per
 * certificate for bytes nobody reads (issue 16, bench/README.md `issuance-api`). ECDSA signatures vary in
 * length and GOST's layout is its own, so those are still signed by a throwaway key of the same kind (Boulder's
 * approach): one key per signature algorithm per process, made on first use and kept; it signs nothing anyone trusts.
 */
import { QtError } from '@qoltanba/errors';
import { oid, oidNames } from '../oids.ts';
import { describePublicKey, getCrypto, webCryptoSigner, type HashName, type Signer } from '../crypto/index.ts';
import type { Bytes } from '../encoding.ts';
import { KZ_GOST_2015_512 } from '../gost/kz-algorithms.ts';
import { generateGostKeyPair, gostSigner } from '../gost/signer.ts';

type KeyRecipe = () => Promise<Signer>;

const rsa = (hash: HashName): KeyRecipe => async () => {
  const keys = await getCrypto().subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash },
    false,
    ['sign', 'verify'],
  );
  return webCryptoSigner(keys.privateKey, keys.publicKey, { hash });
};

const ecdsa = (namedCurve: 'P-256' | 'P-384', hash: HashName): KeyRecipe => async () => {
  const keys = await getCrypto().subtle.generateKey({ name: 'ECDSA', namedCurve }, false, ['sign', 'verify']);
  return webCryptoSigner(keys.privateKey, keys.publicKey, { hash });
};

// A GOST CA's pre-certificates are signed by a throwaway GOST key of the same kind, so the lint sees
// exactly the signature layout the real certificate will have.
const gost2015_512: KeyRecipe = async () => gostSigner(generateGostKeyPair(KZ_GOST_2015_512).privateKey);

/** Signature algorithms a CA key may use here; each family is a row. */
const recipes: Readonly<Record<string, KeyRecipe>> = {
  [oid.sha256WithRsa]: rsa('SHA-256'),
  [oid.sha384WithRsa]: rsa('SHA-384'),
  [oid.sha512WithRsa]: rsa('SHA-512'),
  [oid.ecdsaWithSha256]: ecdsa('P-256', 'SHA-256'),
  [oid.ecdsaWithSha384]: ecdsa('P-384', 'SHA-384'),
  [oid.kzGost2015_512Sign]: gost2015_512,
};

const cache = new Map<string, Promise<Signer>>();

export function lintSigner(signatureOid: string): Promise<Signer> {
  const recipe = recipes[signatureOid];
  if (!recipe) {
    return Promise.reject(
      new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `Certificates cannot be issued with ${oidNames[signatureOid] ?? signatureOid} yet`, { oid: signatureOid }),
    );
  }
  let signer = cache.get(signatureOid);
  if (!signer) {
    signer = recipe();
    // A failed generation must not poison the cache for the rest of the process.
    signer.catch(() => cache.delete(signatureOid));
    cache.set(signatureOid, signer);
  }
  return signer;
}

const RSA_SIGNATURES: ReadonlySet<string> = new Set([oid.sha256WithRsa, oid.sha384WithRsa, oid.sha512WithRsa]);

/**
 * The pre-certificate's signature for `tbs`, to be signed later by the key whose SPKI is `caPublicKey`: zeros of
 * the modulus' length for RSA (see above), a throwaway key's signature otherwise.
 */
export async function precertificateSignature(signatureOid: string, caPublicKey: Uint8Array, tbs: Bytes): Promise<Bytes> {
  if (RSA_SIGNATURES.has(signatureOid)) {
    const key = describePublicKey(caPublicKey);
    if (key.algorithm === 'RSA' && key.bits) return new Uint8Array(Math.ceil(key.bits / 8));
  }
  return (await lintSigner(signatureOid)).sign(tbs);
}
