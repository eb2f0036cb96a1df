import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildIin, inspectCertificate } from '@qoltanba/pki';
import { runQoltanba } from '../testing/run.ts';
import { makeTestHome } from '../testing/home.ts';

const { home, passphraseFile } = makeTestHome('qt-cli-cert-');
after(() => rmSync(home, { recursive: true, force: true }));
const q = (...args: string[]) => runQoltanba(['--home', home, '--passphrase-file', passphraseFile, ...args]);
const iin = buildIin({ birthDate: '1988-03-14', sex: 'female', number: 2001 });

function csr(name: string, extra: string[] = ['-newkey', 'rsa:2048']): string {
  const path = join(home, `${name}.csr`);
  execFileSync('openssl', ['req', '-new', ...extra, '-nodes', '-keyout', join(home, `${name}.key`), '-subj', '/CN=Whatever The CSR Says', '-out', path], { stdio: 'ignore' });
  return path;
}

let serial = '';

test('issue prints a PEM certificate in the national profile that openssl verifies to the CA', async () => {
  assert.equal((await q('ca', 'init')).code, 0);
  const r = await q('issue', '--csr', csr('a'), '--profile', 'individual-sign', '--iin', iin, '--name', 'Ахметова Айгерім Маратқызы', '--email', 'aigerim@example.kz');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^-----BEGIN CERTIFICATE-----/);
  const certPath = join(home, 'a.crt');
  writeFileSync(certPath, r.stdout);
  assert.match(execFileSync('openssl', ['verify', '-CAfile', join(home, 'ca', 'root-rsa.crt'), '-untrusted', join(home, 'ca', 'rsa.crt'), certPath]).toString(), /OK/);
  const info = inspectCertificate(r.stdout);
  assert.equal(info.kz.iin, iin);
  assert.equal(info.kz.surname, 'АХМЕТОВА');
  assert.equal(info.kind, 'SIGN');
  assert.doesNotMatch(info.subject.display, /Whatever/);
  assert.deepEqual(info.emails, ['aigerim@example.kz']);
  serial = info.serialHex;
});

test('status shows it good; revoke with a reason makes it revoked; the next CRL lists it and openssl accepts the CRL', async () => {
  const s = JSON.parse((await q('status', serial, '--json')).stdout);
  assert.equal(s.status, 'good');
  assert.equal(s.serial, serial, 'the serial as the certificate spells it');
  assert.equal(Buffer.from(s.der, 'base64').toString('base64'), s.der, 'the DER as base64, not a Buffer');
  const typed = `00${serial.toLowerCase().replace(/^0/, '')}`.replace(/(..)(?=.)/g, '$1:');
  assert.equal(JSON.parse((await q('status', typed, '--json')).stdout).serial, serial, 'colons, case and leading zeros do not matter');
  const r = JSON.parse((await q('revoke', serial, '--reason', 'keyCompromise', '--json')).stdout);
  assert.equal(r.certificate.status, 'revoked');
  assert.equal(r.certificate.revocationReason, 'keyCompromise');
  const crlPath = join(home, 'rsa.crl');
  const c = await q('crl', '--ca', 'rsa', '--out', crlPath, '--json');
  assert.equal(c.code, 0, c.stderr);
  assert.equal(JSON.parse(c.stdout)[0].entries, 1);
  const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', crlPath, '-CAfile', join(home, 'ca', 'rsa.crt'), '-noout', '-text', '-verify'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.match(text, new RegExp(serial.toUpperCase()));
  assert.match(text, /Key Compromise/);
  const again = JSON.parse((await q('revoke', serial, '--reason', 'keyCompromise', '--json')).stdout);
  assert.equal(again.changed, false);
});

test('a wrong CA passphrase is said as it is (QT_ERR_CA_PASSPHRASE_WRONG), for issuance and for CRLs, never "try again later"', async () => {
  const wrong = join(home, 'wrong-passphrase.txt');
  writeFileSync(wrong, 'not the CA passphrase\n');
  const w = (...args: string[]) => runQoltanba(['--home', home, '--passphrase-file', wrong, ...args]);
  for (const r of [
    await w('issue', '--csr', csr('w'), '--profile', 'individual-sign', '--iin', iin, '--name', 'Ахметова Айгерім'),
    await w('crl', '--ca', 'rsa'),
  ]) {
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^error QT_ERR_CA_PASSPHRASE_WRONG: The CA key passphrase is wrong/);
    assert.doesNotMatch(r.stderr, /try again|not the CA passphrase/);
  }
  const json = await w('--json', 'status', serial);
  assert.equal(json.code, 0, 'reading needs no key');
});

test("NCA's test IINs need --test-numbers; bad CSRs, unknown serials and missing files get stable codes", async () => {
  const nca = await q('issue', '--csr', csr('b'), '--profile', 'individual-auth', '--iin', '123456789011', '--name', 'ТЕСТОВ ТЕСТ');
  assert.equal(nca.code, 1);
  assert.match(nca.stderr, /QT_ERR_IIN_INVALID/);
  const ok = await q('issue', '--csr', csr('b2'), '--profile', 'individual-auth', '--iin', '123456789011', '--name', 'ТЕСТОВ ТЕСТ', '--test-numbers');
  assert.equal(ok.code, 0, ok.stderr);
  const weak = await q('issue', '--csr', csr('c', ['-newkey', 'rsa:1024']), '--profile', 'individual-auth', '--iin', iin, '--name', 'А Б');
  assert.match(weak.stderr, /QT_ERR_KEY_WEAK/);
  writeFileSync(join(home, 'garbage.csr'), 'not a request');
  assert.match((await q('issue', '--csr', join(home, 'garbage.csr'), '--profile', 'individual-auth', '--iin', iin, '--name', 'А Б')).stderr, /QT_ERR_CSR_MALFORMED/);
  assert.match((await q('status', 'abcdef')).stderr, /QT_ERR_CERT_NOT_FOUND/);
  const notHex = await q('status', 'xyz');
  assert.equal(notHex.code, 2, 'a serial that is not hex is a usage error');
  assert.match((await q('issue', '--csr', join(home, 'none.csr'), '--profile', 'individual-auth', '--iin', iin, '--name', 'А Б')).stderr, /QT_ERR_INPUT_INVALID: No such file/);
});

test('the same --idempotency-key returns the same certificate instead of a second one', async () => {
  const path = csr('d');
  const args = ['issue', '--csr', path, '--profile', 'individual-auth', '--iin', iin, '--name', 'Ахметова Айгерім', '--idempotency-key', 'order-42', '--json'];
  const first = JSON.parse((await q(...args)).stdout);
  const second = JSON.parse((await q(...args)).stdout);
  assert.equal(second.serial, first.serial);
  assert.equal(second.replayed, true);
});

test('tokens: created once with scopes, listed without the secret, revoked', async () => {
  const created = JSON.parse((await q('token', 'create', 'ra-almaty', '--scope', 'issue', 'read', '--json')).stdout);
  assert.match(created.token, /^qt_[0-9a-f]{16}_/);
  const list = await q('token', 'list', '--json');
  assert.doesNotMatch(list.stdout, new RegExp(created.token));
  assert.deepEqual(JSON.parse(list.stdout).map((t: { name: string }) => t.name), ['ra-almaty']);
  assert.equal((await q('token', 'revoke', 'ra-almaty')).code, 0);
  assert.ok(JSON.parse((await q('token', 'list', '--json')).stdout)[0].revokedAt);
});
