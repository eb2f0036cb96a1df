/**
 * Plugs NCA's GOST algorithms into the shared registries, so certificates, CRLs, OCSP responses,
 * path validation, CMS and XML verify GOST signatures with no GOST-specific code of their own.
 * Imported for its effect by crypto/index.ts, so any use of the registries has GOST registered.
 */
import { QtError } from '@qoltanba/errors';
import { oidNames } from '../oids.ts';
import { registerSignatureAlgorithm, spkiAlgorithm, type VerifyInput } from '../crypto/algorithms.ts';
import { registerDigestAlgorithm } from '../crypto/digests.ts';
import { kzGostAlgorithms, kzGostByKeyOid, type KzGostAlgorithm } from './kz-algorithms.ts';
import { decodeKzSignature, eFromDigest } from './kz-encoding.ts';
import { cachedKzGostSpki } from './key-cache.ts';
import { verifyE } from './sign.ts';

const digestNames: Readonly<Record<string, string>> = {
  'GOST 34.310-2004': 'GOST 34.311-95',
  'GOST 34.10-2015 (256)': 'Streebog-256',
  'GOST 34.10-2015 (512)': 'Streebog-512',
};

/**
 * Verifies an NCA GOST signature of `data`. Throws (rather than answering false) when the inputs
 * cannot be a valid signature at all, so the reason reaches the user: QT_ERR_SIGNATURE_INVALID for
 * a signature of the wrong length or a key of another GOST kind, QT_ERR_KEY_MALFORMED /
 * QT_ERR_GOST_POINT_INVALID for a bad key.
 */
export function verifyKzGost(algorithm: KzGostAlgorithm, { spki, data, signature }: VerifyInput): boolean {
  const keyOid = spkiAlgorithm(spki).oid;
  if (!kzGostByKeyOid(keyOid)) {
    throw new QtError('QT_ERR_SIGNATURE_INVALID', `A ${algorithm.name} signature cannot be made with a ${oidNames[keyOid] ?? keyOid} key`);
  }
  const { key, table } = cachedKzGostSpki(spki);
  if (key.algorithm !== algorithm) {
    throw new QtError('QT_ERR_SIGNATURE_INVALID', `A ${algorithm.name} signature cannot be made with a ${key.algorithm.name} key`);
  }
  const value = decodeKzSignature(signature, key.curve);
  return verifyE(key.curve, key.point, eFromDigest(algorithm.hash(data), key.curve), value, table);
}

for (const algorithm of kzGostAlgorithms) {
  registerDigestAlgorithm({
    oid: algorithm.digestOid,
    name: digestNames[algorithm.name] ?? algorithm.digestOid,
    digest: async (data) => algorithm.hash(data),
  });
  registerSignatureAlgorithm({
    oid: algorithm.signatureOid,
    name: `${algorithm.name}/${digestNames[algorithm.name] ?? algorithm.digestOid}`,
    verify: async (input) => verifyKzGost(algorithm, input),
  });
}
