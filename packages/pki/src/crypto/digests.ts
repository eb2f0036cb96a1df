/**
 * Digests by OID. CMS and XML name their hash by OID/URI, and Kazakh GOST hashes (GOST 34.311-95,
 * Streebog) are not in WebCrypto, so the hash is looked up the way signatures are: a registry the
 * GOST module fills with `registerDigestAlgorithm`, falling back to WebCrypto's SHA family. It sits
 * beside the signature registry so GOST can register both without importing CMS.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import { QtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { toArrayBuffer, type Bytes } from '../encoding.ts';
import { digest, hashNameFromOid, hashOids, type HashName } from './provider.ts';

export interface DigestAlgorithm {
  oid: string;
  name: string;
  digest(data: Uint8Array): Promise<Bytes>;
}

const registry = new Map<string, DigestAlgorithm>();

export function registerDigestAlgorithm(alg: DigestAlgorithm): void {
  registry.set(alg.oid, alg);
}

const names: Readonly<Record<string, string>> = {
  [oid.sha1]: 'SHA-1',
  [oid.sha256]: 'SHA-256',
  [oid.sha384]: 'SHA-384',
  [oid.sha512]: 'SHA-512',
  [oid.kzGost34311_95]: 'GOST 34.311-95',
  [oid.kzStreebog256]: 'Streebog-256',
  [oid.kzStreebog512]: 'Streebog-512',
};

/** Output sizes are facts of each algorithm, known even before an implementation is registered. */
const lengths: Readonly<Record<string, number>> = {
  [oid.sha1]: 20,
  [oid.sha256]: 32,
  [oid.sha384]: 48,
  [oid.sha512]: 64,
  [oid.kzGost34311_95]: 32,
  [oid.kzStreebog256]: 32,
  [oid.kzStreebog512]: 64,
};

/** The hash each signature algorithm is defined over. */
const signatureHashes: Readonly<Record<string, string>> = {
  [oid.sha1WithRsa]: oid.sha1,
  [oid.sha256WithRsa]: oid.sha256,
  [oid.sha384WithRsa]: oid.sha384,
  [oid.sha512WithRsa]: oid.sha512,
  [oid.ecdsaWithSha256]: oid.sha256,
  [oid.ecdsaWithSha384]: oid.sha384,
  [oid.ecdsaWithSha512]: oid.sha512,
  [oid.kzGost2004Sign]: oid.kzGost34311_95,
  [oid.kzGost2015_256Sign]: oid.kzStreebog256,
  [oid.kzGost2015_512Sign]: oid.kzStreebog512,
};

export function digestName(digestOid: string): string {
  return registry.get(digestOid)?.name ?? names[digestOid] ?? digestOid;
}

export function digestLength(digestOid: string): number {
  const n = lengths[digestOid];
  if (n === undefined) throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `The digest algorithm ${digestOid} is not supported`, { oid: digestOid });
  return n;
}

export async function digestByOid(digestOid: string, data: Uint8Array): Promise<Bytes> {
  const registered = registry.get(digestOid);
  if (registered) return registered.digest(data);
  if (!Object.values(hashOids).includes(digestOid)) {
    throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `Digests of algorithm ${digestName(digestOid)} cannot be computed yet`, { oid: digestOid });
  }
  return digest(hashNameFromOid(digestOid), data);
}

/** The digest a signature algorithm hashes with (RSA-PSS carries it in its parameters). */
export function digestOidForSignature(sigOid: string, parameters?: Uint8Array): string {
  if (sigOid === oid.rsaPss) {
    const params = parameters ? AsnConvert.parse(toArrayBuffer(parameters), RsaSaPssParams) : new RsaSaPssParams();
    return params.hashAlgorithm.algorithm;
  }
  const hash = signatureHashes[sigOid];
  if (!hash) throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `No digest is known for signature algorithm ${sigOid}`, { oid: sigOid });
  return hash;
}

/** Accepts "SHA-256" or a digest OID. */
export function digestOidFrom(hash: HashName | string): string {
  return (hashOids as Record<string, string>)[hash] ?? hash;
}
