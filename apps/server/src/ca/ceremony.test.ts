import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectCertificate, oid, toPem } from '@qoltanba/pki';
import { SoftKeyStore } from '@qoltanba/keystore';
import { describeEachBackend } from '../store/testing/backends.ts';
import { verifyAudit } from '../audit/index.ts';
import { defaultCeremonyConfig, loadCeremonyConfig, tsaPlanFor, validateCeremonyConfig, type CeremonyConfig } from './ceremony-config.ts';
import { runCeremony } from './ceremony.ts';

const PASSPHRASE_ENV = 'QT_TEST_CEREMONY_PASSPHRASE';
process.env[PASSPHRASE_ENV] = 'ceremony passphrase for tests';

/** The default plan with 2048-bit keys, so tests do not spend their time generating RSA-4096 keys. */
function smallConfig(): CeremonyConfig {
  const c = defaultCeremonyConfig();
  c.root.key.bits = 2048;
  for (const i of c.issuing) {
    i.key.bits = 2048;
    i.ocsp.key.bits = 2048;
  }
  return c;
}

describeEachBackend('CA ceremony', (ctx) => {
  let home: string;
  const keystore = () => ({ soft: { dir: join(home, 'keys'), passphraseEnv: PASSPHRASE_ENV } });
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'qt-ceremony-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  test('creates a root, an issuing CA and its OCSP responder that openssl accepts, and publishes them', async () => {
    const cas = await runCeremony({ db: ctx.store.db, keystore: keystore(), config: smallConfig(), publicUrl: 'http://127.0.0.1:8080', home });
    assert.deepEqual(cas.map((c) => [c.name, c.kind, c.created]), [['root-rsa', 'root', true], ['rsa', 'issuing', true]]);
    const root = join(home, 'ca', 'root-rsa.crt');
    const issuing = join(home, 'ca', 'rsa.crt');
    assert.ok(existsSync(root) && existsSync(issuing));
    assert.match(execFileSync('openssl', ['verify', '-CAfile', root, issuing]).toString(), /OK/);
    const signer = await ctx.store.db.selectFrom('ocsp_signers').selectAll().executeTakeFirstOrThrow();
    const ocspInfo = inspectCertificate(signer.certificate);
    assert.equal(ocspInfo.kind, 'OCSP');
    assert.equal(ocspInfo.ocspNoCheck, true);
    const issuingInfo = inspectCertificate((await ctx.store.db.selectFrom('cas').select('certificate').where('name', '=', 'rsa').executeTakeFirstOrThrow()).certificate);
    assert.deepEqual(issuingInfo.urls.crl, ['http://127.0.0.1:8080/crl/root-rsa.crl']);
    assert.equal(issuingInfo.basicConstraints?.pathLength, 0);
  });

  test('a second run keeps what exists and adds nothing', async () => {
    const cas = await runCeremony({ db: ctx.store.db, keystore: keystore(), config: smallConfig(), publicUrl: 'http://127.0.0.1:8080', home });
    assert.deepEqual(cas.map((c) => c.created), [false, false]);
    const count = await ctx.store.db.selectFrom('cas').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 2);
  });

  test('every step is in the audit log and the chain verifies', async () => {
    const audit = await verifyAudit(ctx.store.db);
    assert.equal(audit.ok, true);
    const actions = (await ctx.store.db.selectFrom('audit_log').select('action').orderBy('seq').execute()).map((r) => r.action);
    assert.deepEqual(actions, ['ca.created', 'ca.created', 'ocsp-signer.created', 'audit-key.created']);
  });

  test('a TSA added to the plan of an existing CA is created once: critical timeStamping-only EKU, chained to the CA, audited', async () => {
    const config = smallConfig();
    config.issuing[0]!.tsa = { ...tsaPlanFor(config.issuing[0]!), key: { uri: 'soft:tsa-rsa', bits: 2048 } };
    for (let run = 0; run < 2; run++) {
      const cas = await runCeremony({ db: ctx.store.db, keystore: keystore(), config, publicUrl: 'http://127.0.0.1:8080', home });
      assert.deepEqual(cas.map((c) => c.created), [false, false]);
    }
    const rows = await ctx.store.db.selectFrom('tsa_signers').innerJoin('cas', 'cas.id', 'tsa_signers.ca_id').select(['cas.name', 'tsa_signers.certificate', 'tsa_signers.key_uri', 'cas.not_after']).execute();
    assert.deepEqual(rows.map((r) => [r.name, r.key_uri]), [['rsa', 'soft:tsa-rsa']]);
    const info = inspectCertificate(rows[0]!.certificate);
    assert.deepEqual([info.kind, info.profile, info.extKeyUsage], ['TSA', 'tsa-signing', [oid.ekuTimeStamping]]);
    assert.equal(info.extensions.find((e) => e.oid === oid.extKeyUsage)?.critical, true);
    assert.deepEqual(info.urls.crl, ['http://127.0.0.1:8080/crl/rsa.crl']);
    assert.ok(info.notAfter <= rows[0]!.not_after);
    const tsaFile = join(home, 'tsa.pem');
    writeFileSync(tsaFile, toPem('CERTIFICATE', rows[0]!.certificate));
    const verified = execFileSync('openssl', ['verify', '-purpose', 'timestampsign', '-CAfile', join(home, 'ca', 'root-rsa.crt'), '-untrusted', join(home, 'ca', 'rsa.crt'), tsaFile]).toString();
    assert.match(verified, /: OK/);
    const created = await ctx.store.db.selectFrom('audit_log').select(['target', 'details']).where('action', '=', 'tsa-signer.created').execute();
    assert.deepEqual(created.map((r) => [r.target, (r.details as { keyUri: string }).keyUri]), [['ca:rsa', 'soft:tsa-rsa']]);
    assert.equal((await verifyAudit(ctx.store.db)).ok, true);
  });

  test('a key left behind by an interrupted ceremony is reused, not replaced', async () => {
    const config = smallConfig();
    config.issuing[0]!.name = 'rsa-two';
    config.issuing[0]!.key.uri = 'soft:issuing-two';
    config.issuing[0]!.ocsp.key.uri = 'soft:ocsp-two';
    const store = new SoftKeyStore(keystore().soft);
    const leftover = await store.createKey('soft:issuing-two', { algorithm: 'RSA', bits: 2048 });
    await store.close();
    await runCeremony({ db: ctx.store.db, keystore: keystore(), config, publicUrl: 'http://127.0.0.1:8080', home });
    const row = await ctx.store.db.selectFrom('cas').select('certificate').where('name', '=', 'rsa-two').executeTakeFirstOrThrow();
    assert.deepEqual(inspectCertificate(row.certificate).publicKey.spki, leftover.publicKey);
  });
});

test('the ceremony plan is written for review on first use and read back after', () => {
  const home = mkdtempSync(join(tmpdir(), 'qt-ceremony-config-'));
  try {
    const first = loadCeremonyConfig(home);
    assert.equal(first.created, true);
    assert.equal(first.config.root.key.bits, 4096);
    assert.deepEqual(first.config.issuing.map((i) => [i.name, i.key.algorithm ?? 'RSA']), [['rsa', 'RSA'], ['gost', 'GOST-2015-512']]);
    // Each issuing CA has its time-stamping authority, in the CA's algorithm.
    assert.deepEqual(first.config.issuing.map((i) => [i.tsa?.key.uri, i.tsa?.key.algorithm ?? i.tsa?.key.bits]), [['soft:tsa-rsa', 3072], ['soft:tsa-gost', 'GOST-2015-512']]);
    const second = loadCeremonyConfig(home);
    assert.equal(second.created, false);
    assert.deepEqual(second.config, first.config);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('a plan with mistakes is refused with every problem named', () => {
  const c = defaultCeremonyConfig() as unknown as Record<string, any>;
  c.root.name = 'Root CA';
  c.issuing[0].validityYears = 25;
  c.issuing.push({ ...c.issuing[0], name: 'rsa' });
  c.issuing[0].tsa = { subject: [], key: { uri: 'soft:tsa', bits: 1024 }, validityYears: 40 };
  assert.throws(
    () => validateCeremonyConfig(c),
    (e: any) =>
      e.code === 'QT_ERR_INPUT_INVALID' &&
      e.details.problems.length >= 6 &&
      /used twice/.test(e.message) &&
      /expire before the root/.test(e.message) &&
      /tsa\.subject needs a CN/.test(e.message) &&
      /tsa\.key needs bits/.test(e.message) &&
      /tsa\.validityYears/.test(e.message),
  );
});
