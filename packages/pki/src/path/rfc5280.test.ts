/**
 * RFC 5280 §6 on chains we build ourselves: name constraints in every evaluated form (with OpenSSL as the
 * outside referee where it evaluates the same), the trust anchor's own constraints (RFC 5937), and
 * certificate policies with their inputs, constraints, mappings and the reported valid_policy_tree.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { oid } from '../oids.ts';
import { generateRsaKeyPair } from '../crypto/index.ts';
import { KU, leafOptions, makeCert, type TestCert, type TestCertOptions } from './testing/ca.ts';
import { gn, inhibitAnyPolicy, nameConstraints, policies, policyConstraints, policyMappings, subjectAltName } from './testing/extensions.ts';
import { tempDir, type TempDir } from './testing/openssl.ts';
import { bothVerdicts } from './testing/verify-agreement.ts';
import { validatePath } from './validate.ts';
import type { PathVerdict, ValidatePathOptions } from './types.ts';

const at = new Date('2025-06-01T00:00:00Z');
const P = (n: number): string => `1.2.398.3.3.99.${n}`;
const anyPolicy = '2.5.29.32.0';
let keys: CryptoKeyPair[];
let tmp: TempDir;

before(async () => {
  keys = await Promise.all([1, 2, 3].map(() => generateRsaKeyPair(2048)));
  tmp = tempDir();
});
after(() => tmp.remove());

/** root → ca → leaf, with extra extensions at each level (keys reused across tests: only the extensions matter). */
async function chain(extra: { root?: TestCertOptions['extraExtensions']; ca?: TestCertOptions['extraExtensions']; leaf?: TestCertOptions['extraExtensions']; leafSubject?: string; caPathLen?: number; rootKeyUsage?: number; rootEku?: string[] } = {}) {
  const root = await makeCert({ subject: 'CN=Root, C=KZ', ca: true, keys: keys[0], extraExtensions: extra.root, keyUsage: extra.rootKeyUsage, extKeyUsage: extra.rootEku });
  const ca = await makeCert({ subject: 'C=KZ, O=Allowed, CN=Issuing CA', issuer: root, ca: extra.caPathLen === undefined ? true : { pathLen: extra.caPathLen }, keys: keys[1], extraExtensions: extra.ca });
  const leaf = await makeCert({ ...leafOptions(ca, extra.leafSubject ?? 'C=KZ, O=Allowed, CN=Person'), keys: keys[2], extraExtensions: extra.leaf });
  return { root, ca, leaf };
}

const verify = (c: { root: TestCert; ca: TestCert; leaf: TestCert }, more: Partial<ValidatePathOptions> = {}): Promise<PathVerdict> =>
  validatePath({ leaf: c.leaf.der, intermediates: [c.ca.der], trustAnchors: [c.root.der], at, ...more });

async function agree(name: string, c: { root: TestCert; ca: TestCert; leaf: TestCert }, ok: boolean, theirs?: RegExp): Promise<PathVerdict> {
  const v = await bothVerdicts(tmp, name, { leaf: c.leaf.der, intermediates: [c.ca.der], anchors: [c.root.der], at });
  assert.equal(v.ours.ok, ok, `${name}: ours ${v.ours.error?.code} ${v.ours.error?.message ?? 'accepted'}`);
  assert.equal(v.openssl.ok, ok, `${name}: openssl ${v.openssl.output}`);
  if (!ok) assert.equal(v.ours.error?.code, 'QT_ERR_CHAIN_INVALID', v.ours.error?.message);
  if (theirs) assert.match(v.openssl.output, theirs);
  return v.ours;
}

test('a critical nameConstraints on an intermediate is evaluated, not refused: directoryName permitted and excluded, as OpenSSL judges', async () => {
  const permitted = nameConstraints({ permitted: [gn.dn('C=KZ, O=Allowed')] });
  await agree('dn-inside', await chain({ ca: [permitted] }), true);
  await agree('dn-outside', await chain({ ca: [permitted], leafSubject: 'C=KZ, O=Elsewhere, CN=Person' }), false, /permitted subtree violation/);
  const excluded = nameConstraints({ excluded: [gn.dn('C=KZ, O=Allowed, CN=Person')] });
  await agree('dn-excluded', await chain({ ca: [excluded] }), false, /excluded subtree violation/);
  // Case and spacing do not matter (RFC 5280 §7.1).
  await agree('dn-case', await chain({ ca: [permitted], leafSubject: 'C=kz, O=  ALLOWED , CN=Person' }), true);
});

test('dNSName, rfc822Name, iPAddress and URI constraints apply to subjectAltName, as OpenSSL judges', async () => {
  const dns = nameConstraints({ permitted: [gn.dns('gov.kz')], excluded: [gn.dns('secret.gov.kz')] });
  await agree('dns-in', await chain({ ca: [dns], leaf: [subjectAltName(gn.dns('egov.gov.kz'))] }), true);
  await agree('dns-out', await chain({ ca: [dns], leaf: [subjectAltName(gn.dns('gov.kz.evil.com'))] }), false, /permitted subtree violation/);
  await agree('dns-excluded', await chain({ ca: [dns], leaf: [subjectAltName(gn.dns('a.secret.gov.kz'))] }), false, /excluded subtree violation/);
  const mail = nameConstraints({ permitted: [gn.email('.kz')] });
  await agree('mail-in', await chain({ ca: [mail], leaf: [subjectAltName(gn.email('person@mail.kz'))] }), true);
  await agree('mail-out', await chain({ ca: [mail], leaf: [subjectAltName(gn.email('person@mail.ru'))] }), false, /permitted subtree violation/);
  const ip = nameConstraints({ permitted: [gn.ip(10, 0, 0, 0, 255, 0, 0, 0)] });
  await agree('ip-in', await chain({ ca: [ip], leaf: [subjectAltName(gn.ip(10, 1, 2, 3))] }), true);
  await agree('ip-out', await chain({ ca: [ip], leaf: [subjectAltName(gn.ip(192, 168, 0, 1))] }), false, /permitted subtree violation/);
  const uri = nameConstraints({ permitted: [gn.uri('.gov.kz')] });
  await agree('uri-in', await chain({ ca: [uri], leaf: [subjectAltName(gn.uri('https://www.gov.kz/x'))] }), true);
  await agree('uri-out', await chain({ ca: [uri], leaf: [subjectAltName(gn.uri('https://gov.kz.example.com/'))] }), false, /permitted subtree violation/);
});

test('the trust anchor’s own name constraints bind the whole path (RFC 5937), as OpenSSL judges', async () => {
  const onRoot = nameConstraints({ permitted: [gn.dn('C=KZ, O=Allowed')] });
  await agree('anchor-nc-in', await chain({ root: [onRoot] }), true);
  await agree('anchor-nc-out', await chain({ root: [onRoot], leafSubject: 'C=KZ, O=Allowed2, CN=Person' }), false, /permitted subtree violation/);
});

test('a critical constraint in a form we cannot evaluate refuses the path; the same form non-critical is ignored', async () => {
  const critical = await verify(await chain({ ca: [nameConstraints({ permitted: [gn.registeredId('1.2.3.4')] })] }));
  assert.equal(critical.error?.code, 'QT_ERR_CHAIN_INVALID');
  assert.match(critical.error?.message ?? '', /registeredID form, which cannot be evaluated/);
  const otherName = await verify(await chain({ ca: [nameConstraints({ excluded: [gn.otherName('1.3.6.1.4.1.311.20.2.3')] })] }));
  assert.match(otherName.error?.message ?? '', /otherName form/);
  const lenient = await verify(await chain({ ca: [nameConstraints({ permitted: [gn.registeredId('1.2.3.4')] }, false)] }));
  assert.equal(lenient.ok, true, lenient.error?.message);
});

test('the trust anchor’s pathLen, keyUsage and EKU are honoured (RFC 5937)', async () => {
  const rootKeys = keys[0] as CryptoKeyPair;
  const root = await makeCert({ subject: 'CN=Root pathLen 0, C=KZ', ca: { pathLen: 0 }, keys: rootKeys });
  const ca = await makeCert({ subject: 'CN=Below, C=KZ', issuer: root, ca: true, keys: keys[1] });
  const leaf = await makeCert({ ...leafOptions(ca), keys: keys[2] });
  const tooDeep = await verify({ root, ca, leaf });
  assert.equal(tooDeep.error?.code, 'QT_ERR_CHAIN_INVALID');
  assert.match(tooDeep.error?.message ?? '', /path length constraint/);

  const crlOnlyRoot = await chain({ rootKeyUsage: KU.cRLSign });
  assert.equal((await verify(crlOnlyRoot)).error?.code, 'QT_ERR_KEY_USAGE');

  const clientOnlyRoot = await chain({ rootEku: [oid.ekuClientAuth] });
  assert.equal((await verify(clientOnlyRoot, { purpose: 'emailProtection' })).error?.code, 'QT_ERR_KEY_USAGE');
  assert.equal((await verify(clientOnlyRoot, { purpose: 'any' })).ok, true);
});

test('policies: initial-policy-set and explicit policy decide, and the valid_policy_tree is reported', async () => {
  const c = await chain({ root: [policies(anyPolicy)], ca: [policies(P(1), P(2))], leaf: [policies(P(1))] });
  const open = await verify(c);
  assert.equal(open.ok, true, open.error?.message);
  assert.deepEqual(open.policy?.userConstrainedPolicySet, [P(1)]);
  assert.equal(open.policy?.explicitPolicyRequired, false);
  // anyPolicy (root of the tree) → P1 → P1: P2 had no child at the leaf and was pruned.
  assert.deepEqual(open.policy?.validPolicyTree, {
    validPolicy: anyPolicy,
    expectedPolicySet: [anyPolicy],
    children: [{ validPolicy: P(1), expectedPolicySet: [P(1)], children: [{ validPolicy: P(1), expectedPolicySet: [P(1)], children: [] }] }],
  });
  assert.equal((await verify(c, { policy: { initialPolicySet: [P(1)], initialExplicitPolicy: true } })).ok, true);
  const wrong = await verify(c, { policy: { initialPolicySet: [P(2)], initialExplicitPolicy: true } });
  assert.equal(wrong.error?.code, 'QT_ERR_CHAIN_INVALID');
  assert.match(wrong.error?.message ?? '', /no certificate policy acceptable/);
  // Without explicit policy the path is valid for no policy at all: valid, with an empty user-constrained set.
  const none = await verify(c, { policy: { initialPolicySet: [P(2)] } });
  assert.equal(none.ok, true);
  assert.deepEqual(none.policy?.userConstrainedPolicySet, []);
});

test('requireExplicitPolicy in a CA demands a policy below it; a mapping P1→P2 and inhibitAnyPolicy work as RFC 5280 says', async () => {
  const required = await verify(await chain({ ca: [policies(P(1)), policyConstraints({ requireExplicitPolicy: 0 })] }));
  assert.equal(required.error?.code, 'QT_ERR_CHAIN_INVALID', 'the leaf carries no policy');
  assert.equal((await verify(await chain({ ca: [policies(P(1)), policyConstraints({ requireExplicitPolicy: 0 })], leaf: [policies(P(1))] }))).ok, true);

  const mapped = await chain({ root: [policies(anyPolicy)], ca: [policies(P(1)), policyMappings([P(1), P(2)])], leaf: [policies(P(2))] });
  const viaMapping = await verify(mapped, { policy: { initialPolicySet: [P(1)], initialExplicitPolicy: true } });
  assert.equal(viaMapping.ok, true, viaMapping.error?.message);
  assert.deepEqual(viaMapping.policy?.userConstrainedPolicySet, [P(1)]);
  const inhibited = await verify(mapped, { policy: { initialPolicyMappingInhibit: true, initialExplicitPolicy: true } });
  assert.equal(inhibited.error?.code, 'QT_ERR_CHAIN_INVALID');

  const anyBelow = await chain({ root: [policies(anyPolicy), inhibitAnyPolicy(0)], ca: [policies(anyPolicy)], leaf: [policies(P(1))] });
  assert.equal((await verify(anyBelow)).ok, true, 'without explicit policy the path stays valid');
  assert.equal((await verify(anyBelow, { policy: { initialExplicitPolicy: true } })).error?.code, 'QT_ERR_CHAIN_INVALID');
  assert.equal((await verify(await chain({ root: [policies(anyPolicy)], ca: [policies(anyPolicy)], leaf: [policies(P(1))] }), { policy: { initialExplicitPolicy: true } })).ok, true);
});

test('a policy tree that mappings make explode is a budget refusal, not a stall', async () => {
  const many = Array.from({ length: 12 }, (_, i) => P(100 + i));
  const allToAll = many.flatMap((a) => many.map((b): [string, string] => [a, b]));
  const c = await chain({ root: [policies(...many)], ca: [policies(...many), policyMappings(...allToAll)], leaf: [policies(...many)] });
  const started = Date.now();
  const verdict = await verify(c, { budget: { maxPolicyNodes: 100 } });
  assert.equal(verdict.error?.code, 'QT_ERR_PATH_BUDGET_EXCEEDED');
  assert.match(verdict.error?.message ?? '', /more than 100 policy tree nodes/);
  assert.ok(Date.now() - started < 2_000);
  // With room enough, the same chain is fine: 1 + 12 + 144 nodes.
  assert.equal((await verify(c)).ok, true);
});
