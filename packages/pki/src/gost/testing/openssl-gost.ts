/**
 * Test support: Debian's OpenSSL GOST engine (libengine-gost-openssl) as an independent GOST
 * implementation. OpenSSL 3.0 loads it with `-engine gost` on each command (no config file needed;
 * the same package also ships a provider, `-provider gostprov -provider default`, for newer tools).
 *
 * The engine speaks the Russian profile, so tests map NCA's objects to it and document the only
 * differences: the OIDs (1.2.398.3.10.… → 1.2.643.…) and the signature byte order (NCA writes r‖s
 * little-endian, the byte reversal of RFC 4491's s‖r big-endian). Keys are the same bytes: x‖y
 * little-endian in the SPKI, d little-endian in an OCTET STRING in PKCS#8.
 */
import assert from 'node:assert/strict';
import { TAG, childrenOf, contentOf, readOid, readWhole } from '../../der/read.ts';
import { integer, objectIdentifier, octetString, sequence, tlv } from '../../der/write.ts';
import { toPem, type Bytes } from '../../encoding.ts';
import { mustRun, tool, type Scratch } from '../../pkcs12/testing/openssl.ts';
import { encodePublicPoint, kzGostPkcs8, readKzGostPkcs8, readKzGostSpki, toLittleEndian } from '../kz-encoding.ts';
import { KZ_GOST_2004, KZ_GOST_2015_256, KZ_GOST_2015_512, type KzGostAlgorithm } from '../kz-algorithms.ts';
import { curveOf } from '../curves.ts';

/** The Russian OIDs of the same algorithms (RFC 9215 / RFC 4491 / RFC 4357). */
export const russian = {
  gost2012_512Key: '1.2.643.7.1.1.1.2',
  tc26_512_A: '1.2.643.7.1.2.1.2.1',
  gost2012_256Key: '1.2.643.7.1.1.1.1',
  tc26_256_A: '1.2.643.7.1.2.1.1.1',
  gost2001Key: '1.2.643.2.2.19',
  cryptoProA: '1.2.643.2.2.35.1',
  gost94CryptoProParams: '1.2.643.2.2.30.1',
} as const;

export function engineAvailable(): void {
  const r = tool('openssl', ['engine', 'gost']);
  assert.equal(r.status, 0, `the OpenSSL GOST engine is needed (apt-get install libengine-gost-openssl):\n${r.all}`);
}

/** Runs an openssl command with the GOST engine loaded. */
export function gostOpenssl(args: readonly string[]): ReturnType<typeof tool> {
  const [command, ...rest] = args;
  return tool('openssl', [command!, '-engine', 'gost', ...rest]);
}

function russianAlgId(algorithm: KzGostAlgorithm): Bytes {
  if (algorithm === KZ_GOST_2015_512) return sequence(objectIdentifier(russian.gost2012_512Key), sequence(objectIdentifier(russian.tc26_512_A)));
  if (algorithm === KZ_GOST_2015_256) return sequence(objectIdentifier(russian.gost2012_256Key), sequence(objectIdentifier(russian.tc26_256_A)));
  return sequence(objectIdentifier(russian.gost2001Key), sequence(objectIdentifier(russian.cryptoProA), objectIdentifier(russian.gost94CryptoProParams)));
}

/** An NCA SubjectPublicKeyInfo rewritten with the Russian OIDs: the point bytes stay the same. */
export function russianPublicKeyPem(kzSpki: Uint8Array): string {
  const key = readKzGostSpki(kzSpki);
  const spki = sequence(russianAlgId(key.algorithm), tlv(TAG.bitString, new Uint8Array([0]), octetString(encodePublicPoint(key.point, key.curve))));
  return toPem('PUBLIC KEY', spki);
}

/** An NCA PKCS#8 rewritten for the engine: Russian OIDs, d little-endian in an OCTET STRING. */
export function russianPrivateKeyPem(kzPkcs8: Uint8Array): string {
  const key = readKzGostPkcs8(kzPkcs8);
  const p8 = sequence(integer(0), russianAlgId(key.algorithm), octetString(octetString(toLittleEndian(key.d, key.curve.size))));
  return toPem('PRIVATE KEY', p8);
}

/** A PKCS#8 the engine wrote (Russian OIDs) turned into NCA's layout for the same d. */
export function kazakhPkcs8FromRussian(ruPkcs8: Bytes): Bytes {
  const top = readWhole(ruPkcs8, TAG.sequence, 'PrivateKeyInfo');
  const [, algId, key] = childrenOf(ruPkcs8, top);
  const keyOid = readOid(ruPkcs8, childrenOf(ruPkcs8, algId!)[0]!);
  const byRussianOid: Record<string, KzGostAlgorithm> = {
    [russian.gost2012_512Key]: KZ_GOST_2015_512,
    [russian.gost2012_256Key]: KZ_GOST_2015_256,
    [russian.gost2001Key]: KZ_GOST_2004,
  };
  const algorithm = byRussianOid[keyOid];
  assert.ok(algorithm, `unexpected engine key ${keyOid}`);
  const params = algorithm.defaultParams!;
  const kazakhAlgId = sequence(objectIdentifier(algorithm.keyOid), sequence(objectIdentifier(params.curveOid), objectIdentifier(params.digestParamsOid)));
  // Same private-key content under NCA's OIDs; our reader takes the engine's inner layout as it is.
  const { d } = readKzGostPkcs8(sequence(integer(0), kazakhAlgId, octetString(contentOf(ruPkcs8, key!))));
  return kzGostPkcs8(algorithm, d, curveOf(algorithm.curves[params.curveOid]!));
}

export type EngineSigningDigest = 'md_gost12_256' | 'md_gost12_512' | 'md_gost94';

/** `openssl dgst -sign` with the engine: returns the RFC 4491 signature (s‖r big-endian). */
export function engineSign(s: Scratch, digest: EngineSigningDigest, keyPem: string, data: Uint8Array): Bytes {
  s.write('engine-key.pem', keyPem);
  s.write('engine-data.bin', data);
  const r = gostOpenssl(['dgst', `-${digest}`, '-sign', s.path('engine-key.pem'), '-out', s.path('engine.sig'), s.path('engine-data.bin')]);
  assert.equal(r.status, 0, r.all);
  return s.read('engine.sig');
}

/** `openssl dgst -verify` with the engine; true when it prints "Verified OK". */
export function engineVerifies(s: Scratch, digest: EngineSigningDigest, publicPem: string, data: Uint8Array, rfc4491Signature: Uint8Array): boolean {
  s.write('engine-pub.pem', publicPem);
  s.write('engine-data.bin', data);
  s.write('engine-verify.sig', rfc4491Signature);
  const r = gostOpenssl(['dgst', `-${digest}`, '-verify', s.path('engine-pub.pem'), '-signature', s.path('engine-verify.sig'), s.path('engine-data.bin')]);
  return r.status === 0 && /Verified OK/.test(r.all);
}

/** The engine's digest of `data` (`openssl dgst -md_gost12_256|512|md_gost94 -binary`). */
export function engineDigest(s: Scratch, digest: 'md_gost12_256' | 'md_gost12_512' | 'md_gost94', data: Uint8Array): Bytes {
  s.write('engine-digest.bin', data);
  mustRun('openssl', ['dgst', '-engine', 'gost', `-${digest}`, '-binary', '-out', s.path('engine.digest'), s.path('engine-digest.bin')]);
  return s.read('engine.digest');
}

