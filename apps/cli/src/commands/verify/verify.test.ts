import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath, nca, TEST_KEY_PASSWORD } from '../../../../../test/support/fixtures.ts';
import { runQoltanba } from '../../testing/run.ts';

const F = (p: readonly string[]) => fixturePath(...p);
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'qt-verify-'));
  // The NCA test key, extracted by openssl, signs as a third party would (openssl cms, not our code).
  execFileSync('openssl', ['pkcs12', '-legacy', '-in', F(nca.validSignKey), '-passin', `pass:${TEST_KEY_PASSWORD}`, '-nodes', '-out', join(dir, 'key.pem')]);
  writeFileSync(join(dir, 'doc.txt'), 'Келісім-шарт № 7 / Договор № 7');
  const sign = (extra: string[], out: string) =>
    execFileSync('openssl', ['cms', '-sign', '-binary', '-md', 'sha256', '-in', join(dir, 'doc.txt'), '-signer', join(dir, 'key.pem'), '-outform', 'DER', '-out', join(dir, out), ...extra]);
  sign(['-nodetach'], 'attached.p7s');
  sign([], 'detached.p7s');
});
after(() => rmSync(dir, { recursive: true, force: true }));

// The certificate inside KEY_INDIVIDUAL_VALID_SIGN_2004.p12 is valid 2021-01-18 … 2022-01-18.
const SIGN_KEY_TIME = '2021-12-01';

test('a valid NCA certificate, shown good by its CRL: exit 0, IIN, kind, chain and revocation printed', async () => {
  const r = await runQoltanba(['verify', F(nca.signCert), '--ca', F(nca.rsaCa), '--at', '2022-04-01', '--crl', F(nca.rsaCrl), '--offline']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Verdict:\s+VALID/);
  assert.match(r.stdout, /IIN:\s+123456789011/);
  assert.match(r.stdout, /Kind:\s+SIGN \(individual\)/);
  assert.match(r.stdout, /Revocation:\s+good \(crl\)/);
});

test('fail-closed by default: with no revocation answer the verdict is NOT VALID and says why', async () => {
  const r = await runQoltanba(['verify', F(nca.signCert), '--ca', F(nca.rsaCa), '--at', '2022-03-01', '--offline', '--json']);
  assert.equal(r.code, 1);
  const out = JSON.parse(r.stdout);
  assert.equal(out.error.code, 'QT_ERR_REVOCATION_UNKNOWN');
  assert.equal(out.signers[0].chain[0].revocation.status, 'unchecked');
  const relaxed = await runQoltanba(['verify', F(nca.signCert), '--ca', F(nca.rsaCa), '--at', '2022-03-01', '--revocation', 'prefer', '--offline']);
  assert.equal(relaxed.code, 0, relaxed.stdout);
});

test('one spelling per output: every name with SURNAME/SERIALNUMBER (never SN= or 2.5.4.5=), every serial as openssl prints it', async () => {
  const opensslSerial = (file: string) => execFileSync('openssl', ['x509', '-in', file, '-noout', '-serial'], { encoding: 'utf8' }).trim().replace('serial=', '');
  for (const json of [false, true]) {
    const r = await runQoltanba(['verify', F(nca.signCert), '--ca', F(nca.rsaCa), '--at', '2022-03-01', '--crl', F(nca.rsaCrl), ...(json ? ['--json'] : [])]);
    assert.doesNotMatch(r.stdout, /\bSN=|2\.5\.4\.5=|\bGN=|givenName=/);
    assert.match(r.stdout, /SURNAME=ТЕСТОВ, SERIALNUMBER=IIN123456789011/);
    if (!json) {
      assert.match(r.stdout, new RegExp(`Serial:\\s+${opensslSerial(F(nca.signCert))}\n`));
      continue;
    }
    const out = JSON.parse(r.stdout);
    const [signer] = out.signers;
    assert.equal(signer.certificate.serial, opensslSerial(F(nca.signCert)));
    assert.deepEqual(signer.chain.map((c: { serial: string }) => c.serial), [opensslSerial(F(nca.signCert)), opensslSerial(F(nca.rsaCa))]);
    assert.equal(signer.chain[0].subject, signer.certificate.subject, 'the chain names the certificate as the certificate section does');
  }
});

test('the same certificate after it expired: exit 1 with the precise code, in --json too', async () => {
  const r = await runQoltanba(['verify', F(nca.authCert), '--ca', F(nca.rsaCa), '--at', '2024-01-01', '--json']);
  assert.equal(r.code, 1);
  const out = JSON.parse(r.stdout);
  assert.equal(out.ok, false);
  assert.equal(out.error.code, 'QT_ERR_CERT_EXPIRED');
  assert.equal(out.signers[0].certificate.kind, 'AUTH');
});

test('a certificate found in the CRL is reported revoked', async () => {
  const revoked = join(dir, 'revoked.pem');
  writeFileSync(revoked, execFileSync('openssl', ['pkcs12', '-legacy', '-in', F(nca.revokedSignKey), '-passin', `pass:${TEST_KEY_PASSWORD}`, '-nokeys', '-clcerts']));
  const r = await runQoltanba(['verify', revoked, '--ca', F(nca.rsaCa), '--crl', F(nca.rsaCrl), '--at', '2022-04-01', '--revocation', 'require', '--json']);
  assert.equal(r.code, 1);
  const out = JSON.parse(r.stdout);
  assert.equal(out.error.code, 'QT_ERR_CERT_REVOKED');
  assert.equal(out.signers[0].chain[0].revocation.reason, 'superseded');
});

test('the NCA CRL verifies and its entries are counted; the OCSP response verifies and says good', async () => {
  const crl = JSON.parse((await runQoltanba(['verify', F(nca.rsaCrl), '--ca', F(nca.rsaCa), '--at', '2022-04-01', '--json'])).stdout);
  assert.deepEqual([crl.ok, crl.crlNumber, crl.entries], [true, '9', 126]);
  const ocsp = JSON.parse((await runQoltanba(['verify', F(nca.ocspIndividualSign2004), '--ca', F(nca.rsaCa), '--at', '2022-09-02T17:00:00Z', '--json'])).stdout);
  assert.equal(ocsp.ok, true);
  assert.equal(ocsp.responses[0].status, 'good');
});

test('a CMS made by openssl with the NCA key verifies (attached, and detached with --content)', async () => {
  // No CRL or OCSP answer of NCA's covers this key's lifetime among the fixtures, so revocation is off here.
  const a = await runQoltanba(['verify', join(dir, 'attached.p7s'), '--ca', F(nca.rsaCa), '--at', SIGN_KEY_TIME, '--revocation', 'off', '--json']);
  assert.equal(a.code, 0, a.stdout);
  const out = JSON.parse(a.stdout);
  assert.equal(out.cms.attached, true);
  assert.equal(out.signers[0].certificate.iin, '123456789011');
  const d = await runQoltanba(['verify', join(dir, 'detached.p7s'), '--ca', F(nca.rsaCa), '--at', SIGN_KEY_TIME, '--revocation', 'off', '--content', join(dir, 'doc.txt')]);
  assert.equal(d.code, 0, d.stdout);
  const missing = await runQoltanba(['verify', join(dir, 'detached.p7s'), '--ca', F(nca.rsaCa), '--at', SIGN_KEY_TIME, '--json']);
  assert.equal(JSON.parse(missing.stdout).error.code, 'QT_ERR_CMS_NO_CONTENT');
});

test('changed content gives a digest mismatch, not a crash', async () => {
  writeFileSync(join(dir, 'doc-changed.txt'), readFileSync(join(dir, 'doc.txt'), 'utf8').replace('7', '8'));
  const r = await runQoltanba(['verify', join(dir, 'detached.p7s'), '--ca', F(nca.rsaCa), '--at', SIGN_KEY_TIME, '--content', join(dir, 'doc-changed.txt'), '--json']);
  assert.equal(r.code, 1);
  assert.equal(JSON.parse(r.stdout).error.code, 'QT_ERR_CMS_DIGEST_MISMATCH');
});

test('a GOST 34.310-2004 CEO certificate: IIN, BIN and role read, the chain verified', async () => {
  const r = await runQoltanba(['verify', F(nca.ceoGostCert), '--ca', F(nca.gostCa), '--at', '2022-04-01', '--crl', F(nca.gostCrl), '--json']);
  const out = JSON.parse(r.stdout);
  assert.equal(r.code, 0, r.stdout);
  const cert = out.signers[0].certificate;
  assert.equal(cert.bin, '123456789021');
  assert.deepEqual(cert.roles, ['legal entity', 'CEO']);
  assert.match(cert.signatureAlgorithm, /GOST 34\.310-2004/);
  assert.deepEqual(out.signers[0].chain[0].revocation, { status: 'good', source: 'crl' });
});

test('the GOST 34.10-2015 (2022) CRL verifies against its CA', async () => {
  const r = JSON.parse((await runQoltanba(['verify', F(nca.gost2022Crl), '--ca', F(nca.gost2015Ca), '--at', '2022-08-01', '--json'])).stdout);
  assert.deepEqual([r.ok, r.entries], [true, 6]);
  assert.match(r.signatureAlgorithm, /GOST 34\.10-2015/);
});

test('garbage, a missing file and a missing trust anchor each get a stable code and message', async () => {
  writeFileSync(join(dir, 'garbage.bin'), Buffer.from([0x30, 0x82, 0xff, 0xff, 1, 2, 3]));
  const g = await runQoltanba(['verify', join(dir, 'garbage.bin')]);
  assert.equal(g.code, 1);
  assert.match(g.stderr, /^error QT_ERR_/);
  const m = await runQoltanba(['verify', join(dir, 'nope.cer')]);
  assert.match(m.stderr, /QT_ERR_INPUT_INVALID: No such file/);
  const n = await runQoltanba(['verify', F(nca.signCert), '--home', dir, '--json']);
  assert.equal(JSON.parse(n.stdout).error.code, 'QT_ERR_CHAIN_INCOMPLETE');
  assert.doesNotMatch(g.stderr + m.stderr + n.stdout, /\n\s+at /);
});

test('--help explains the command and usage errors exit 2', async () => {
  const h = await runQoltanba(['verify', '--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /--content <file>/);
  const u = await runQoltanba(['verify']);
  assert.equal(u.code, 2);
});
