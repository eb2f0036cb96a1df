/**
 * Which subscriber keys we certify, as a small table: RSA 2048–8192 bits with e = 65537 (DESIGN §4:
 * user keys are RSA-2048), and GOST 34.10-2015 (512), what NCA issues today. Older GOST 34.310-2004
 * keys are read and verified but no longer certified (NCA stopped issuing them too).
 */
import { QtError } from '@qoltanba/errors';
import { oid, oidNames } from '../oids.ts';
import { describePublicKey, type PublicKeyInfo } from '../crypto/index.ts';
import { readKzGostSpki } from '../gost/kz-encoding.ts';

export interface KeyPolicy {
  /** SubjectPublicKeyInfo algorithm OID. */
  algorithmOid: string;
  minBits: number;
  maxBits: number;
  /** Required public exponent (RSA). */
  exponent?: number;
  /** Signature algorithms accepted on a CSR made with such a key (proof of possession). */
  csrSignatureAlgorithms: readonly string[];
  /** Checks beyond size (a GOST key must name a known curve and be a point on it); throws why not. */
  check?(spki: Uint8Array): void;
}

export const keyPolicies: readonly KeyPolicy[] = [
  {
    algorithmOid: oid.rsaEncryption,
    minBits: 2048,
    // Above 8192 bits a key buys no security a CA needs and makes every verification slow.
    maxBits: 8192,
    // Small exponents (3) have a history of signature-forgery bugs; 65537 is what every toolkit makes.
    exponent: 65537,
    // SHA-1 is collision-broken; nobody needs it to prove possession of a key.
    csrSignatureAlgorithms: [oid.sha256WithRsa, oid.sha384WithRsa, oid.sha512WithRsa],
  },
  {
    algorithmOid: oid.kzGost2015_512Key,
    // The size is fixed by the curve; describePublicKey reports 512 for every such key.
    minBits: 512,
    maxBits: 512,
    csrSignatureAlgorithms: [oid.kzGost2015_512Sign],
    check: (spki) => void readKzGostSpki(spki),
  },
];

/** Checks a public key against the policy; returns its description or throws why not. */
export function checkPublicKeyPolicy(spki: Uint8Array): PublicKeyInfo & { policy: KeyPolicy } {
  const key = describePublicKey(spki);
  const policy = keyPolicies.find((p) => p.algorithmOid === key.algorithmOid);
  if (!policy) {
    const accepted = keyPolicies.map((p) => oidNames[p.algorithmOid] ?? p.algorithmOid).join(', ');
    throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `${key.algorithm} keys are not certified; accepted: ${accepted}`, { algorithm: key.algorithmOid });
  }
  const bits = key.bits ?? 0;
  if (bits < policy.minBits) {
    throw new QtError('QT_ERR_KEY_WEAK', `The ${key.algorithm} key has ${bits} bits; at least ${policy.minBits} are required`, { bits, minBits: policy.minBits });
  }
  if (bits > policy.maxBits) {
    throw new QtError('QT_ERR_TOO_LARGE', `The ${key.algorithm} key has ${bits} bits; at most ${policy.maxBits} are accepted`, { bits, maxBits: policy.maxBits });
  }
  if (policy.exponent !== undefined && key.exponent !== policy.exponent) {
    throw new QtError('QT_ERR_KEY_EXPONENT', `The RSA public exponent is ${key.exponent}; it must be ${policy.exponent}`, { exponent: key.exponent });
  }
  policy.check?.(spki);
  return { ...key, policy };
}
