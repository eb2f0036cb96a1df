import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { oid } from '../oids.ts';
import { objectIdentifier, sequence, tlv } from '../der/write.ts';
import { contextTag } from '../der/read.ts';
import { utf8 } from '../encoding.ts';
import { KU, leafOptions, makeCert, makeHierarchy, type TestCert } from './testing/ca.ts';
import { ext, gn, resign, type CertificateEdit } from './testing/extensions.ts';
import { validatePath } from './validate.ts';
import type { PathVerdict } from './types.ts';

let root: TestCert;
let ca: TestCert;
let leaf: TestCert;
const at = new Date('2025-06-01T00:00:00Z');

before(async () => {
  ({ root, ca } = await makeHierarchy());
  leaf = await makeCert(leafOptions(ca));
});

const check = (l: TestCert, options: { intermediates?: TestCert[]; anchor?: TestCert; profile?: 'strict' | 'rfc5280' } = {}): Promise<PathVerdict> =>
  validatePath({ leaf: l.der, intermediates: (options.intermediates ?? [ca]).map((c) => c.der), trustAnchors: [(options.anchor ?? root).der], at, profile: options.profile });

async function refused(edited: TestCert, why: RegExp, options: Parameters<typeof check>[1] = {}, index = 0): Promise<void> {
  const verdict = await check(edited, options);
  assert.equal(verdict.error?.code, 'QT_ERR_CERT_MALFORMED', verdict.error?.message ?? 'accepted');
  assert.match(verdict.error?.message ?? '', why);
  assert.equal(verdict.error?.details?.['index'], index);
}

const editedLeaf = (edit: CertificateEdit): Promise<TestCert> => resign(leaf, ca, edit);
const aia = sequence(sequence(objectIdentifier(oid.accessOcsp), tlv(contextTag(6, false), utf8('http://127.0.0.1/ocsp'))));

test('the unedited chain validates (so each refusal below is the edit)', async () => {
  const verdict = await check(leaf);
  assert.equal(verdict.ok, true, verdict.error?.message);
  assert.equal((await check(await editedLeaf({}))).ok, true);
});

test('a certificate with an extension twice is refused: which of the two would count?', async () => {
  await refused(await editedLeaf({ extensions: ext.twice(oid.keyUsage) }), /extension 2\.5\.29\.15 more than once/);
  // Anywhere on the path: a duplicated extension in the issuing CA.
  const badCa = await resign(ca, root, { extensions: ext.twice(oid.basicConstraints) });
  await refused(leaf, /more than once/, { intermediates: [badCa] }, 1);
});

test('keyCertSign without cA=TRUE is refused, on a leaf too (a "leaf" that could issue certificates)', async () => {
  await refused(await makeCert({ ...leafOptions(ca), keyUsage: KU.digitalSignature | KU.keyCertSign }), /keyCertSign without being a CA/);
});

test('a CA certificate with an empty subject is refused', async () => {
  const anonymousCa = await resign(await makeCert({ subject: 'CN=Some CA, C=KZ', issuer: root, ca: true }), root, { subject: '' });
  await refused(anonymousCa, /CA certificate with an empty subject/, { intermediates: [] });
});

test('an empty extendedKeyUsage, a critical AIA, AKI or SKI, and an empty keyUsage are refused', async () => {
  await refused(await editedLeaf({ extensions: (l) => ext.add(oid.extKeyUsage, false, sequence())(ext.without(oid.extKeyUsage)(l)) }), /extendedKeyUsage extension is empty/);
  await refused(await editedLeaf({ extensions: ext.add(oid.authorityInfoAccess, true, aia) }), /authorityInfoAccess extension is marked critical/);
  await refused(await editedLeaf({ extensions: ext.critical(oid.authorityKeyIdentifier) }), /authorityKeyIdentifier extension is marked critical/);
  await refused(await editedLeaf({ extensions: ext.critical(oid.subjectKeyIdentifier) }), /subjectKeyIdentifier extension is marked critical/);
  await refused(await editedLeaf({ extensions: (l) => ext.add(oid.keyUsage, true, new Uint8Array([0x03, 0x01, 0x00]))(ext.without(oid.keyUsage)(l)) }), /keyUsage extension has no bit set/);
});

test('nameConstraints, policyConstraints or inhibitAnyPolicy on an end-entity certificate are refused', async () => {
  const nc = sequence(tlv(contextTag(0, true), sequence(gn.dns('example.kz'))));
  await refused(await editedLeaf({ extensions: ext.add(oid.nameConstraints, true, nc) }), /carries nameConstraints but is not a CA/);
  await refused(await editedLeaf({ extensions: ext.add(oid.policyConstraints, true, sequence(tlv(contextTag(0, false), new Uint8Array([0])))) }), /carries policyConstraints but is not a CA/);
  await refused(await editedLeaf({ extensions: ext.add(oid.inhibitAnyPolicy, true, new Uint8Array([0x02, 0x01, 0x00])) }), /carries inhibitAnyPolicy but is not a CA/);
});

test('serial numbers that are zero, negative or longer than 20 octets: refused by the strict profile, tolerated by rfc5280', async () => {
  const twenty = [0x7f, ...Array.from({ length: 19 }, (_, i) => i + 1)];
  const cases: [number[], RegExp][] = [
    [[0x00], /serial number is zero/],
    [[0xff], /serial number is negative/],
    [[0x80, 0x01], /serial number is negative/],
    [[0x01, ...twenty], /21 octets long/],
    // 20 octets of magnitude with the top bit set need a 21st (sign) octet: too long as encoded.
    [[0x00, 0x80, ...twenty.slice(1)], /21 octets long/],
  ];
  for (const [serial, why] of cases) {
    const odd = await editedLeaf({ serial });
    await refused(odd, why);
    const tolerated = await check(odd, { profile: 'rfc5280' });
    assert.equal(tolerated.ok, true, tolerated.error?.message);
  }
  // Exactly 20 octets is fine in both.
  assert.equal((await check(await editedLeaf({ serial: twenty }))).ok, true);
});

test('the trust anchor is held to the same rules: an unknown critical extension or a duplicated extension on it refuses the path', async () => {
  const oddRoot = await resign(root, root, { extensions: ext.add('1.2.398.3.3.99', true, new Uint8Array([0x05, 0x00])) });
  const verdict = await check(leaf, { anchor: oddRoot });
  assert.equal(verdict.error?.code, 'QT_ERR_CHAIN_INVALID');
  assert.match(verdict.error?.message ?? '', /critical extensions we cannot process: 1\.2\.398\.3\.3\.99/);
  assert.equal(verdict.error?.details?.['index'], 2);
  await refused(leaf, /more than once/, { anchor: await resign(root, root, { extensions: ext.twice(oid.keyUsage) }) }, 2);
  // And an intermediate, as before.
  const oddCa = await resign(ca, root, { extensions: ext.add('1.2.398.3.3.98', true, new Uint8Array([0x05, 0x00])) });
  const below = await check(leaf, { intermediates: [oddCa] });
  assert.equal(below.error?.code, 'QT_ERR_CHAIN_INVALID');
  assert.equal(below.error?.details?.['index'], 1);
});
