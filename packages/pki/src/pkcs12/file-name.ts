/**
 * NCA's key-file names: `<AUTH_>?<ALGORITHM>_<hex SKI>.p12`, e.g. `AUTH_RSA256_6b36….p12` and
 * `RSA256_8426….p12` (from NCA's 2018 production files), `GOST512_<ski>.p12` for GOST 34.10-2015 keys
 * and `GOSTKNCA_<ski>.p12` for the older GOST 34.310-2004 ones.
 */
import { QtError } from '@qoltanba/errors';
import { toHex } from '../encoding.ts';
import { oid, oidNames } from '../oids.ts';

export type KeyFileKind = 'AUTH' | 'SIGN';

const algorithmTags: Readonly<Record<string, string>> = {
  [oid.rsaEncryption]: 'RSA256',
  [oid.kzGost2015_512Key]: 'GOST512',
  [oid.kzGost2004Key]: 'GOSTKNCA',
};

/** `keyAlgorithmOid` is the certificate's SubjectPublicKeyInfo algorithm; `ski` is hex or bytes. */
export function keyFileName(kind: KeyFileKind, keyAlgorithmOid: string, ski: string | Uint8Array): string {
  const tag = algorithmTags[keyAlgorithmOid];
  if (!tag) {
    throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `NCA names no key files for ${oidNames[keyAlgorithmOid] ?? keyAlgorithmOid} keys`, {
      oid: keyAlgorithmOid,
    });
  }
  const hex = typeof ski === 'string' ? ski.toLowerCase() : toHex(ski);
  if (!/^([0-9a-f]{2}){1,64}$/.test(hex)) throw new QtError('QT_ERR_INPUT_INVALID', 'The subject key identifier must be hexadecimal bytes');
  return `${kind === 'AUTH' ? 'AUTH_' : ''}${tag}_${hex}.p12`;
}
