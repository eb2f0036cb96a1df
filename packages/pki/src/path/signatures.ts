/**
 * Signature checks for one verification: each (signed object, key) pair is verified at most once and
 * every real verification is paid for from the budget, so path building may ask "did this CA sign that?"
 * freely while trying candidates. Keys without their own domain parameters (DSA, RFC 5280 §6.1.4 (f)
 * "working_public_key_parameters") are given their issuer's parameters here.
 */
import type { Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import { verifySignature } from '../crypto/index.ts';
import { readSpki } from '../crypto/spki.ts';
import { objectIdentifier, sequence, tlv } from '../der/write.ts';
import { TAG } from '../der/read.ts';
import type { PathBudget } from './budget.ts';
import type { CertificateFacts } from './certificate.ts';

export interface SignedObject {
  tbs: Uint8Array;
  signature: Uint8Array;
  signatureAlgorithm: { oid: string; parameters?: Uint8Array | undefined };
}

/** A key to verify with: the issuer certificate, and inherited DSA parameters when it has none of its own. */
export interface VerifyingKey {
  cert: CertificateFacts;
  inheritedParameters?: Bytes | undefined;
}

let nextKeyId = 1;
const keyIds = new WeakMap<object, number>();
const idOf = (o: object): number => {
  let id = keyIds.get(o);
  if (id === undefined) keyIds.set(o, (id = nextKeyId++));
  return id;
};

export class SignatureChecks {
  private readonly results = new WeakMap<object, Map<string, boolean>>();

  constructor(private readonly budget: PathBudget) {}

  /** Did `key` sign `signed`? Throws QT_ERR_ALGORITHM_UNSUPPORTED / QT_ERR_KEY_MALFORMED / QT_ERR_PATH_BUDGET_EXCEEDED. */
  async verify(signed: SignedObject, key: VerifyingKey): Promise<boolean> {
    const params = needsInheritance(key.cert) ? key.inheritedParameters : undefined;
    const cacheKey = `${idOf(key.cert)}:${params ? idOf(params) : 0}`;
    let byKey = this.results.get(signed);
    const known = byKey?.get(cacheKey);
    if (known !== undefined) return known;
    this.budget.spend('signatureChecks');
    const ok = await verifySignature(signed.signatureAlgorithm.oid, {
      spki: params ? withParameters(key.cert.spki, params) : key.cert.spki,
      parameters: signed.signatureAlgorithm.parameters,
      data: signed.tbs,
      signature: signed.signature,
    });
    if (!byKey) this.results.set(signed, (byKey = new Map()));
    byKey.set(cacheKey, ok);
    return ok;
  }
}

/** A DSA key that carries no domain parameters must take them from the CA above it. */
export function needsInheritance(cert: CertificateFacts): boolean {
  return cert.keyAlgorithm.oid === oid.dsa && !cert.keyAlgorithm.hasParameters;
}

/** The domain parameters a certificate passes down: its own, or those it inherited. */
export function parametersOf(cert: CertificateFacts, inherited: Bytes | undefined): Bytes | undefined {
  if (cert.keyAlgorithm.oid !== oid.dsa) return undefined;
  return cert.keyAlgorithm.hasParameters ? readSpki(cert.spki).parameters?.slice() : inherited;
}

function withParameters(spki: Uint8Array, parameters: Uint8Array): Bytes {
  const info = readSpki(spki);
  return sequence(sequence(objectIdentifier(info.algorithmOid), parameters), tlv(TAG.bitString, new Uint8Array([0]), info.publicKey));
}
