/**
 * Bounded path building: what strangers can send (piles of look-alike CAs, loops, duplicates, huge bags of
 * certificates in a CMS or XML signature) costs at most the budget, and the answer comes at once. Times are
 * measured as this process's CPU time (not wall time), so a busy machine does not decide the outcome; the
 * work counters are the guarantee.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { generateRsaKeyPair } from '../crypto/index.ts';
import { signCms } from '../cms/sign.ts';
import { verifyCms } from '../cms/verify.ts';
import { signXml } from '../xmldsig/sign.ts';
import { verifyXml } from '../xmldsig/verify.ts';
import { readCertificate } from './certificate.ts';
import { PathBudget } from './budget.ts';
import { leafOptions, makeCert, type TestCert } from './testing/ca.ts';
import { validatePath } from './validate.ts';

const at = new Date('2025-06-01T00:00:00Z');
let root: TestCert;
let ca: TestCert;
let leaf: TestCert;
/** 100 CAs with the issuing CA's subject and subjectKeyIdentifier, signed by the root, each with another key. */
let lookAlikes: TestCert[];
let keys: CryptoKeyPair[];

before(async () => {
  keys = await Promise.all(Array.from({ length: 8 }, () => generateRsaKeyPair(2048)));
  root = await makeCert({ subject: 'CN=Root, C=KZ', ca: true, keys: keys[0] });
  ca = await makeCert({ subject: 'CN=Issuing CA, C=KZ', issuer: root, ca: { pathLen: 0 }, keys: keys[1] });
  leaf = await makeCert({ ...leafOptions(ca), keys: keys[2] });
  const ski = readCertificate(ca.der).subjectKeyId as Uint8Array;
  lookAlikes = [];
  for (let i = 0; i < 100; i++) {
    lookAlikes.push(await makeCert({ subject: 'CN=Issuing CA, C=KZ', issuer: root, ca: { pathLen: 0 }, keys: keys[3 + (i % 5)], subjectKeyId: ski }));
  }
});

/** Runs `fn` and returns its result with the CPU time it took this process, in ms. */
async function cpuTimed<T>(fn: () => Promise<T>): Promise<{ result: T; cpuMs: number }> {
  const start = process.cpuUsage();
  const result = await fn();
  const used = process.cpuUsage(start);
  return { result, cpuMs: (used.user + used.system) / 1000 };
}

test('100 intermediates with one subject and one key identifier: the budget stops the search well under a second', async () => {
  // The genuine CA last, behind every look-alike: the worst order for a search that tries them in turn.
  const { result: verdict, cpuMs } = await cpuTimed(() =>
    validatePath({ leaf: leaf.der, intermediates: [...lookAlikes, ca].map((c) => c.der), trustAnchors: [root.der], at }),
  );
  assert.equal(verdict.error?.code, 'QT_ERR_PATH_BUDGET_EXCEEDED', verdict.error?.message);
  assert.match(verdict.error?.message ?? '', /more than 100 signature checks/);
  assert.equal(verdict.work?.['signatureChecks'], 100);
  assert.ok(cpuMs < 1000, `took ${cpuMs} ms of CPU`);

  // A larger budget finds the genuine CA, still at one signature check per look-alike, not one path each.
  const roomy = await cpuTimed(() =>
    validatePath({ leaf: leaf.der, intermediates: [...lookAlikes, ca].map((c) => c.der), trustAnchors: [root.der], at, budget: { maxSignatureChecks: 200 } }),
  );
  assert.equal(roomy.result.ok, true, roomy.result.error?.message);
  assert.equal(roomy.result.chain[1]?.serial, ca.serial);
  assert.equal(roomy.result.work?.['signatureChecks'], 102);
  assert.equal(roomy.result.work?.['candidatePaths'], 1);
  assert.ok(roomy.cpuMs < 1000, `took ${roomy.cpuMs} ms of CPU`);
});

test('look-alikes that really chain (self-issued, signing one another) cannot make the search combinatorial', async () => {
  // Eight keys, forty certificates named "CN=Loop": each key certifies every other key under the same name.
  const name = 'CN=Loop, C=KZ';
  const self = await Promise.all(keys.map((k) => makeCert({ subject: name, ca: true, keys: k })));
  const mesh: TestCert[] = [];
  for (let i = 0; i < 40; i++) mesh.push(await makeCert({ subject: name, issuer: self[(i + 1) % 8], ca: true, keys: keys[i % 8] }));
  const victim = await makeCert({ ...leafOptions(self[0] as TestCert), keys: keys[1] });
  const { result: verdict, cpuMs } = await cpuTimed(() =>
    validatePath({ leaf: victim.der, intermediates: [...self, ...mesh].map((c) => c.der), trustAnchors: [root.der], at }),
  );
  assert.equal(verdict.ok, false);
  assert.ok(['QT_ERR_PATH_BUDGET_EXCEEDED', 'QT_ERR_CHAIN_INCOMPLETE'].includes(verdict.error?.code ?? ''), verdict.error?.message);
  assert.ok((verdict.work?.['signatureChecks'] ?? 0) <= 100);
  assert.ok((verdict.work?.['buildSteps'] ?? 0) <= 10_000);
  assert.ok(cpuMs < 1000, `took ${cpuMs} ms of CPU`);
});

test('duplicate certificates are collapsed: the issuing CA given 500 times costs what it costs once', async () => {
  const verdict = await validatePath({ leaf: leaf.der, intermediates: Array.from({ length: 500 }, () => ca.der), trustAnchors: [root.der, root.der], at });
  assert.equal(verdict.ok, true, verdict.error?.message);
  assert.deepEqual([verdict.work?.['signatureChecks'], verdict.work?.['candidatePaths']], [2, 1]);
});

test('each certificate is used once per path: two CAs certifying each other are not a loop to walk forever', async () => {
  const a = await makeCert({ subject: 'CN=A, C=KZ', ca: true, keys: keys[3] });
  const b = await makeCert({ subject: 'CN=B, C=KZ', issuer: a, ca: true, keys: keys[4] });
  const aByB = await makeCert({ subject: 'CN=A, C=KZ', issuer: b, ca: true, keys: keys[3] });
  const child = await makeCert({ ...leafOptions(b), keys: keys[5] });
  const verdict = await validatePath({ leaf: child.der, intermediates: [a.der, b.der, aByB.der], trustAnchors: [root.der], at });
  assert.equal(verdict.error?.code, 'QT_ERR_CHAIN_INCOMPLETE');
  assert.ok((verdict.work?.['signatureChecks'] ?? 0) <= 4, JSON.stringify(verdict.work));
});

test('the budget is configurable, shared when asked, and too many certificates are refused before any is read', async () => {
  const tight = await validatePath({ leaf: leaf.der, intermediates: [ca.der], trustAnchors: [root.der], at, budget: { maxSignatureChecks: 1 } });
  assert.equal(tight.error?.code, 'QT_ERR_PATH_BUDGET_EXCEEDED');
  assert.deepEqual(tight.error?.details, { limit: 'maxSignatureChecks', value: 1 });

  const shared = new PathBudget({ maxSignatureChecks: 3 });
  assert.equal((await validatePath({ leaf: leaf.der, intermediates: [ca.der], trustAnchors: [root.der], at, budget: shared })).ok, true);
  const second = await validatePath({ leaf: leaf.der, intermediates: [ca.der], trustAnchors: [root.der], at, budget: shared });
  assert.equal(second.error?.code, 'QT_ERR_PATH_BUDGET_EXCEEDED', 'the second call draws on what the first left');

  const flood = Array.from({ length: 1000 }, (_, i) => new Uint8Array([0x30, 0x03, 0x02, 0x01, i & 0x7f]));
  const { result: refused, cpuMs } = await cpuTimed(() => validatePath({ leaf: leaf.der, intermediates: flood, trustAnchors: [root.der], at }));
  assert.equal(refused.error?.code, 'QT_ERR_PATH_BUDGET_EXCEEDED');
  assert.match(refused.error?.message ?? '', /more than 1000 certificates/);
  assert.ok(cpuMs < 200);

  const invalid = await validatePath({ leaf: leaf.der, trustAnchors: [root.der], at, budget: { maxSignatureChecks: -1 } });
  assert.equal(invalid.error?.code, 'QT_ERR_INPUT_INVALID');
});

test('a CMS signature carrying the 100 look-alikes is bounded by the same budget, shared by verifyCms and validatePath', async () => {
  const cms = await signCms({ signer: leaf.signer, certificate: leaf.der, chain: [...lookAlikes, ca].map((c) => c.der), content: new TextEncoder().encode('hello') });
  const budget = new PathBudget();
  const { result: verdict, cpuMs } = await cpuTimed(async () => {
    const verified = await verifyCms(cms, { budget });
    const signer = verified.signers[0];
    assert.ok(signer);
    return validatePath({ leaf: signer.certificate, intermediates: verified.certificates, trustAnchors: [root.der], at, budget });
  });
  assert.equal(verdict.error?.code, 'QT_ERR_PATH_BUDGET_EXCEEDED');
  assert.ok(cpuMs < 1500, `took ${cpuMs} ms of CPU`);

  const tooMany = await verifyCms(cms, { budget: { maxCertificates: 50 } }).catch((e: unknown) => e);
  assert.equal((tooMany as { code?: string }).code, 'QT_ERR_PATH_BUDGET_EXCEEDED');
});

test('an XML signature with thousands of signatures or certificates is refused before any is checked', async () => {
  const signed = await signXml('<doc><a>1</a></doc>', { signer: leaf.signer, certificate: leaf.der });
  assert.equal((await verifyXml(signed)).signatures.length, 1);
  const cert = signed.match(/<ds:X509Certificate>([^<]+)</)?.[1] ?? '';
  const padded = signed.replace('</ds:X509Data>', `${`<ds:X509Certificate>${cert}</ds:X509Certificate>`.repeat(1000)}</ds:X509Data>`);
  const { result: refused, cpuMs } = await cpuTimed(() => verifyXml(padded).catch((e: unknown) => e));
  assert.equal((refused as { code?: string }).code, 'QT_ERR_PATH_BUDGET_EXCEEDED');
  assert.ok(cpuMs < 1000, `took ${cpuMs} ms of CPU`);
});
