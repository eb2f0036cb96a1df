/**
 * Throwaway keys that sign pre-certificates for the lint (Boulder's approach): the TBS is signed and
 * parsed back as a whole certificate before the real CA key is asked for anything. One key per
 * signature algorithm per process, made on first use and kept; it signs nothing anyone trusts.
 */
import { QtError } from '@qoltanba/errors';
import { oid, oidNames } from '../oids.ts';
import { getCrypto, webCryptoSigner, type HashName, type Signer } from '../crypto/index.ts';
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
