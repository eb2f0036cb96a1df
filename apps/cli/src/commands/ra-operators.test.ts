/**
 * `qoltanba operator issue|list|revoke` on both backends (the embedded database in the data directory,
 * and PostgreSQL through DATABASE_URL): an operator's certificate from an OpenSSL CSR carries the
 * RA-operator role and verifies with OpenSSL, is audited, is listed while it lets someone in, and is
 * revoked by its own command — which never touches a citizen's certificate.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildIin, inspectCertificate, oid, pairKeyWithCertificate, readPkcs12 } from '@qoltanba/pki';
import { openDatabase } from '@qoltanba/server';
import { runQoltanba } from '../testing/run.ts';
import { writeTestCeremony } from '../testing/home.ts';
import { BACKENDS, createTestDatabase, type TestDatabase } from '@qoltanba/server/testing';

for (const backend of BACKENDS) {
  describe(`operator issue, list and revoke (${backend})`, () => {
    const home = mkdtempSync(join(tmpdir(), `qt-cli-operator-${backend}-`));
    const passphraseFile = join(home, 'passphrase.txt');
    let database: TestDatabase | undefined;
    const saved = process.env.DATABASE_URL;
    const q = (...args: string[]) => runQoltanba(['--home', home, '--passphrase-file', passphraseFile, ...args]);
    const operatorIin = buildIin({ birthDate: '1985-06-01', sex: 'male', number: 3101 });
    const citizenIin = buildIin({ birthDate: '1990-02-11', sex: 'female', number: 3202 });
    let serial = '';

    // Serials are compared as numbers: how many leading zeros a listing keeps is the output format's business.
    const num = (hex: string) => BigInt(`0x${hex}`);
    const openStore = () => openDatabase({ databaseUrl: database?.openOptions.databaseUrl, dataDir: join(home, 'db') });

    function csr(name: string): string {
      const path = join(home, `${name}.csr`);
      execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(home, `${name}.key`), '-subj', '/CN=Whatever', '-out', path], { stdio: 'ignore' });
      return path;
    }

    before(async () => {
      writeFileSync(passphraseFile, 'a passphrase for the operator test\n');
      writeTestCeremony(home);
      if (backend === 'postgres') {
        database = await createTestDatabase('postgres', { migrated: false });
        process.env.DATABASE_URL = database.openOptions.databaseUrl;
      } else {
        delete process.env.DATABASE_URL;
      }
      const init = await q('ca', 'init');
      assert.equal(init.code, 0, init.stderr);
    });

    after(async () => {
      if (saved === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved;
      await database?.dispose();
      rmSync(home, { recursive: true, force: true });
    });

    test("operator issue: a PEM from the operator's CSR with role 1.2.398.3.3.4.2.3 after the individual role, verified by OpenSSL and audited", async () => {
      const r = await q('operator', 'issue', '--csr', csr('op'), '--iin', operatorIin, '--name', 'ОПЕРАТОРОВ САМАТ ЕРЛАНҰЛЫ');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^-----BEGIN CERTIFICATE-----/);
      const info = inspectCertificate(r.stdout);
      serial = info.serialHex;
      assert.equal(info.kind, 'AUTH');
      assert.equal(info.kz.iin, operatorIin);
      assert.doesNotMatch(info.subject.display, /Whatever/);
      assert.deepEqual(info.extKeyUsage, [oid.ekuClientAuth, oid.roleIndividual, oid.roleRaOperator, oid.identifiedInPerson]);
      assert.match(r.stderr, new RegExp(`AUTH_RSA256_${info.subjectKeyId}\\.p12`));
      const pem = join(home, 'op.crt');
      writeFileSync(pem, r.stdout);
      assert.match(execFileSync('openssl', ['verify', '-purpose', 'sslclient', '-CAfile', join(home, 'ca', 'root-rsa.crt'), '-untrusted', join(home, 'ca', 'rsa.crt'), pem]).toString(), /: OK/);
      assert.match(execFileSync('openssl', ['x509', '-in', pem, '-noout', '-text']).toString(), /TLS Web Client Authentication, 1\.2\.398\.3\.3\.4\.1\.1, 1\.2\.398\.3\.3\.4\.2\.3/);
      const store = await openStore();
      try {
        const entries = await store.db.selectFrom('audit_log').select(['actor', 'details']).where('action', '=', 'certificate.issued').execute();
        const issued = entries.filter((e) => (e.details as { iin: string }).iin === operatorIin);
        assert.deepEqual(issued.map((e) => [e.actor, (e.details as { profile: string }).profile, num((e.details as { serial: string }).serial)]), [['operator:cli', 'ra-operator-auth', num(serial)]]);
      } finally {
        await store.close();
      }
      assert.equal((await q('audit', 'verify')).code, 0);
    });

    test("the README's OpenSSL step turns key and certificate into the AUTH key file the agent offers", async () => {
      const pem = join(home, 'op.crt');
      const ski = execFileSync('bash', ['-c', `openssl x509 -in "${pem}" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :' | tr A-F a-f`]).toString().trim();
      assert.equal(ski, inspectCertificate(readFileSync(pem)).subjectKeyId);
      const file = join(home, `AUTH_RSA256_${ski}.p12`);
      execFileSync('openssl', ['pkcs12', '-export', '-inkey', join(home, 'op.key'), '-in', pem, '-certfile', join(home, 'ca', 'rsa.crt'), '-name', ski, '-keypbe', 'AES-256-CBC', '-certpbe', 'AES-256-CBC', '-macalg', 'sha256', '-passout', 'pass:Operator2026', '-out', file]);
      const contents = await readPkcs12(readFileSync(file), 'Operator2026');
      const paired = pairKeyWithCertificate(contents);
      assert.equal(contents.legacy, false);
      assert.equal(paired.key.friendlyName, ski);
      assert.deepEqual(inspectCertificate(paired.certificate).roles.map((r) => r.oid), [oid.roleIndividual, oid.roleRaOperator]);
    });

    test('the plain issue command has no operator profile; a malformed CSR and an invalid IIN get stable codes', async () => {
      const plain = await q('issue', '--csr', csr('x'), '--profile', 'ra-operator-auth', '--iin', operatorIin, '--name', 'А Б');
      assert.equal(plain.code, 2);
      writeFileSync(join(home, 'garbage.csr'), 'not a request');
      const garbage = await q('operator', 'issue', '--csr', join(home, 'garbage.csr'), '--iin', operatorIin, '--name', 'ОПЕРАТОРОВ САМАТ');
      assert.equal(garbage.code, 1);
      assert.match(garbage.stderr, /QT_ERR_CSR_MALFORMED/);
      const nca = await q('operator', 'issue', '--csr', csr('t'), '--iin', '123456789011', '--name', 'ТЕСТОВ ТЕСТ');
      assert.match(nca.stderr, /QT_ERR_IIN_INVALID/);
      const missing = await q('operator', 'issue', '--csr', join(home, 'none.csr'), '--iin', operatorIin, '--name', 'ОПЕРАТОРОВ САМАТ');
      assert.match(missing.stderr, /QT_ERR_INPUT_INVALID: No such file/);
    });

    test("operator list shows who can sign in; operator revoke refuses a citizen's serial, revokes the operator's, and list --all keeps it", async () => {
      const citizen = await q('issue', '--csr', csr('c'), '--profile', 'individual-auth', '--iin', citizenIin, '--name', 'АХМЕТОВА АЙГЕРІМ', '--json');
      assert.equal(citizen.code, 0, citizen.stderr);
      const citizenSerial = JSON.parse(citizen.stdout).serial as string;
      const listed = JSON.parse((await q('operator', 'list', '--json')).stdout) as { serial: string; iin: string; profile: string; status: string }[];
      assert.deepEqual(listed.map((o) => [num(o.serial), o.iin, o.profile, o.status]), [[num(serial), operatorIin, 'ra-operator-auth', 'good']]);
      assert.match((await q('operator', 'list')).stdout, /ОПЕРАТОРОВ САМАТ.*active/);

      const wrong = await q('operator', 'revoke', citizenSerial);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /QT_ERR_CERT_NOT_FOUND: No RA operator certificate/);
      assert.equal(JSON.parse((await q('status', citizenSerial, '--json')).stdout).status, 'good');

      const revoked = JSON.parse((await q('operator', 'revoke', serial.toUpperCase(), '--json')).stdout);
      assert.equal(revoked.changed, true);
      assert.equal(revoked.certificate.status, 'revoked');
      assert.equal(revoked.certificate.revocationReason, 'privilegeWithdrawn');
      assert.deepEqual(JSON.parse((await q('operator', 'list', '--json')).stdout), []);
      const all = JSON.parse((await q('operator', 'list', '--all', '--json')).stdout) as { serial: string; status: string }[];
      assert.deepEqual(all.map((o) => [num(o.serial), o.status]), [[num(serial), 'revoked']]);
      const store = await openStore();
      try {
        const entries = await store.db.selectFrom('audit_log').select(['actor', 'details']).where('action', '=', 'certificate.revoked').execute();
        assert.deepEqual(entries.map((e) => [e.actor, num((e.details as { serial: string }).serial)]), [['operator:cli', num(serial)]]);
      } finally {
        await store.close();
      }
    });
  });
}
