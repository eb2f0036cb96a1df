import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { inspectCertificate, isQtError, parseKzSubject, parseOcspResponse } from '@qoltanba/pki';
import { describeEachBackend } from '../store/testing/backends.ts';
import { verifyAudit } from '../audit/index.ts';
import { caFixture, uniqueIin, type CaFixture } from './testing/fixture.ts';
import { opensslCsr, opensslVerify, type OpensslCsr } from './testing/openssl.ts';
import { issue } from './batch.ts';
import type { IssueRequest } from './issue.ts';
import { normalizeSerial } from './serial.ts';
import { createRa } from './ra.ts';
import { purgeExpiredIdempotencyKeys } from './idempotency.ts';
import { InProcessSignerProvider } from '../signer/in-process.ts';
import { join } from 'node:path';
import type { KyselyPlugin } from 'kysely';

function request(csr: OpensslCsr, over: Partial<IssueRequest> = {}): IssueRequest {
  return {
    csr: csr.pem,
    profile: 'individual-sign',
    subject: { surname: 'Сәрсенбаев', name: 'Асқар', patronymic: 'Бауыржанұлы', iin: uniqueIin() },
    email: 'askar@example.kz',
    storage: 'file',
    identification: 'in-person',
    idempotencyKey: `key-${Math.random()}`,
    actor: 'operator:test',
    ...over,
  };
}

const rejects = (code: string) => (e: unknown) => {
  assert.ok(isQtError(e), `expected a QtError ${code}, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  return true;
};

describeEachBackend('RA issuance', (ctx) => {
  let fx: CaFixture;
  let csr: OpensslCsr;
  before(async () => {
    csr = await opensslCsr();
  });
  after(async () => fx?.close());

  const count = async (table: 'certificates' | 'audit_log' | 'idempotency_keys' | 'subjects') =>
    Number((await ctx.store.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

  test('issues an openssl CSR as one stored, audited certificate that openssl verifies against the ceremony CAs', async () => {
    fx = await caFixture(ctx.store);
    const req = request(csr);
    const { certificate: c, replayed } = await issue(fx.ra, req);
    assert.equal(replayed, false);
    const verdict = await opensslVerify(c.pem, fx.rootFile, fx.issuingFile);
    assert.ok(verdict.ok, verdict.output);

    const info = inspectCertificate(c.pem);
    // The record reads as the certificate spells its serial (openssl's spelling); the table keeps normalizeSerial's.
    assert.equal(c.serial, info.serialHex);
    assert.equal(info.kind, 'SIGN');
    // The subject is the RA's, never the CSR's.
    const kz = parseKzSubject(info.subject.der);
    assert.equal(kz.iin, req.subject.iin);
    assert.equal(kz.surname, 'СӘРСЕНБАЕВ');
    assert.doesNotMatch(info.subject.display, /WHATEVER/);
    assert.deepEqual(info.urls.crl, [`http://127.0.0.1:8080/crl/${fx.caName}.crl`]);
    assert.deepEqual(info.urls.ocsp, ['http://127.0.0.1:8080/ocsp']);

    const row = await ctx.store.db.selectFrom('certificates').selectAll().where('serial', '=', normalizeSerial(c.serial)).executeTakeFirstOrThrow();
    assert.deepEqual(new Uint8Array(row.der), new Uint8Array(info.der));
    assert.equal(row.ca_id, fx.caId);
    assert.equal(row.kind, 'SIGN');
    assert.equal(row.profile, 'individual-sign');
    assert.equal(row.subject_iin, req.subject.iin);
    assert.equal(row.subject_dn, info.subject.display);
    assert.equal(row.status, 'good');
    assert.equal(row.storage, 'file');
    assert.deepEqual(row.spki_sha256, createHash('sha256').update(info.publicKey.spki).digest());
    assert.equal(row.not_before.getTime(), info.notBefore.getTime());
    assert.equal(row.not_after.getTime(), info.notAfter.getTime());
    // file storage: one year
    assert.ok(Math.abs(info.notAfter.getTime() - info.notBefore.getTime() - 365 * 86_400_000) <= 86_400_000);

    const subject = await ctx.store.db.selectFrom('subjects').selectAll().where('iin', '=', req.subject.iin).executeTakeFirstOrThrow();
    assert.deepEqual([subject.surname, subject.given_name, subject.patronymic, subject.email], ['Сәрсенбаев', 'Асқар', 'Бауыржанұлы', 'askar@example.kz']);

    const audit = await ctx.store.db.selectFrom('audit_log').selectAll().where('action', '=', 'certificate.issued').execute();
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.target, `certificate:${fx.caName}/${c.serial}`);
    assert.equal(audit[0]!.actor, 'operator:test');
    assert.equal((await verifyAudit(ctx.store.db)).ok, true);

    const idem = await ctx.store.db.selectFrom('idempotency_keys').selectAll().executeTakeFirstOrThrow();
    assert.equal(idem.response_status, 201);
    assert.deepEqual(idem.response, { certificateId: row.id, ca: fx.caName, serial: normalizeSerial(c.serial) });

    // The status hook pre-signed the OCSP response before issue() returned.
    const ocsp = await ctx.store.db.selectFrom('ocsp_responses').selectAll().where('serial', '=', normalizeSerial(c.serial)).executeTakeFirstOrThrow();
    assert.equal(ocsp.cert_status, 'good');
    assert.equal(parseOcspResponse(ocsp.der).basic?.responses[0]?.status, 'good');
  });

  test('the same idempotency key and request return the stored certificate; another request under it is a conflict', async () => {
    const other = await opensslCsr();
    const req = request(other);
    const first = await issue(fx.ra, req);
    const before = await count('certificates');
    const again = await issue(fx.ra, { ...req });
    assert.equal(again.replayed, true);
    assert.equal(again.certificate.serial, first.certificate.serial);
    assert.equal(again.certificate.pem, first.certificate.pem);
    assert.equal(await count('certificates'), before);

    await assert.rejects(issue(fx.ra, { ...req, profile: 'individual-auth' }), rejects('QT_ERR_IDEMPOTENCY_CONFLICT'));
    await assert.rejects(issue(fx.ra, { ...req, subject: { ...req.subject, surname: 'Басқа' } }), rejects('QT_ERR_IDEMPOTENCY_CONFLICT'));
    assert.equal(await count('certificates'), before);
    // Keys belong to their caller: another actor's identical key is a new request (here: the same person, a new certificate).
    const mine = await issue(fx.ra, { ...req, actor: 'operator:another' });
    assert.equal(mine.replayed, false);
    assert.notEqual(mine.certificate.serial, first.certificate.serial);
  });

  test('an expired idempotency record is purged, and its key then starts a new request', async () => {
    const req = request(await opensslCsr());
    const first = await issue(fx.ra, req);
    const live = await count('idempotency_keys');
    // As if a day had passed.
    await ctx.store.db
      .updateTable('idempotency_keys')
      .set({ created_at: new Date(Date.now() - 2 * 86_400_000), expires_at: new Date(Date.now() - 86_400_000) })
      .where('key', '=', req.idempotencyKey)
      .execute();
    assert.equal(await purgeExpiredIdempotencyKeys(ctx.store.db), 1);
    assert.equal(await count('idempotency_keys'), live - 1);
    const again = await issue(fx.ra, req);
    assert.equal(again.replayed, false);
    assert.notEqual(again.certificate.serial, first.certificate.serial);
  });

  test('a wrong CA passphrase is QT_ERR_CA_PASSPHRASE_WRONG (not "try again later") and stores nothing', async () => {
    process.env.QT_TEST_RA_WRONG_PASSPHRASE = 'not the CA passphrase';
    const wrong = new InProcessSignerProvider({ soft: { dir: join(fx.home, 'keys'), passphraseEnv: 'QT_TEST_RA_WRONG_PASSPHRASE' } });
    try {
      const ra = createRa({ ...fx.ctx, signers: wrong }, { hooks: fx.ra.hooks });
      const before = await Promise.all([count('certificates'), count('idempotency_keys'), count('audit_log')]);
      await assert.rejects(issue(ra, request(await opensslCsr())), (e) => {
        rejects('QT_ERR_CA_PASSPHRASE_WRONG')(e);
        assert.match((e as Error).message, /^The CA key passphrase is wrong/);
        assert.doesNotMatch((e as Error).message, /try again|not the CA passphrase/);
        return true;
      });
      assert.deepEqual(await Promise.all([count('certificates'), count('idempotency_keys'), count('audit_log')]), before);
    } finally {
      await wrong.close();
      delete process.env.QT_TEST_RA_WRONG_PASSPHRASE;
    }
  });

  test("a CA key that cannot be opened is 503 QT_ERR_CA_SIGNER_UNAVAILABLE, stores nothing, and the same key works once the key is back", async () => {
    const broken = new InProcessSignerProvider({ soft: { dir: join(fx.home, 'keys'), passphraseEnv: 'QT_TEST_RA_NO_SUCH_PASSPHRASE' } });
    const ra = createRa({ ...fx.ctx, signers: broken }, { hooks: fx.ra.hooks });
    const req = request(await opensslCsr());
    const before = await Promise.all([count('certificates'), count('idempotency_keys'), count('audit_log')]);
    await assert.rejects(issue(ra, req), rejects('QT_ERR_CA_SIGNER_UNAVAILABLE'));
    assert.deepEqual(await Promise.all([count('certificates'), count('idempotency_keys'), count('audit_log')]), before);
    await broken.close();
    assert.equal((await issue(fx.ra, req)).replayed, false);
  });

  test('a serial number collision is retried with a fresh serial and leaves one new certificate', async () => {
    const existing = await ctx.store.db.selectFrom('certificates').select('serial').where('ca_id', '=', fx.caId).executeTakeFirstOrThrow();
    let calls = 0;
    // As DER bytes: the table drops leading zeros, the issuer wants whole octets.
    const asBytes = existing.serial.length % 2 ? `0${existing.serial}` : existing.serial;
    const ra = createRa(fx.ctx, { serialSource: () => (calls++ === 0 ? asBytes : undefined) });
    const before = await count('certificates');
    const { certificate } = await issue(ra, request(await opensslCsr()));
    assert.equal(calls, 2);
    assert.notEqual(normalizeSerial(certificate.serial), existing.serial);
    assert.equal(await count('certificates'), before + 1);
    const audit = await ctx.store.db.selectFrom('audit_log').select('details').where('target', '=', `certificate:${fx.caName}/${certificate.serial}`).executeTakeFirstOrThrow();
    assert.equal(audit.details.serialAttempts, 2);
    assert.ok((await opensslVerify(certificate.pem, fx.rootFile, fx.issuingFile)).ok);
  });

  test('a serial whose first octet is below 0x10 reads with its leading zero as openssl prints it, and is stored without it, as OCSP and CRLs look it up', async () => {
    const hex = `0${'7'.repeat(31)}`;
    const ra = createRa(fx.ctx, { serialSource: () => hex, hooks: fx.ra.hooks });
    const { certificate } = await issue(ra, request(await opensslCsr()));
    assert.equal(certificate.serial, hex);
    assert.equal(inspectCertificate(certificate.pem).serialHex, certificate.serial);
    assert.equal(certificate.serial, execFileSync('openssl', ['x509', '-noout', '-serial'], { input: certificate.pem, encoding: 'utf8' }).trim().replace('serial=', ''));
    assert.equal(normalizeSerial(certificate.serial), '7'.repeat(31));
    const ocsp = await ctx.store.db.selectFrom('ocsp_responses').select('cert_status').where('serial', '=', '7'.repeat(31)).executeTakeFirstOrThrow();
    assert.equal(ocsp.cert_status, 'good');
  });

  test("a key certified for one person is refused for another, and allowed again for its owner", async () => {
    const shared = await opensslCsr();
    const owner = request(shared);
    await issue(fx.ra, owner);
    const before = await count('certificates');
    await assert.rejects(issue(fx.ra, request(shared)), rejects('QT_ERR_KEY_REUSED'));
    assert.equal(await count('certificates'), before);
    const again = await issue(fx.ra, { ...owner, profile: 'individual-auth', idempotencyKey: 'owner-auth' });
    assert.equal(again.certificate.kind, 'AUTH');
  });

  test('an issuance is three statements inside its transaction: claim with key lock, CA with key check, one store', async () => {
    // Counts what the RA executes: a plugin on the store's own Kysely sees every result, on both backends
    // (transformQuery would also see subqueries as they are built, and BEGIN/COMMIT pass by plugins).
    const sent: string[] = [];
    const counting: KyselyPlugin = {
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        sent.push(String(args.queryId.queryId));
        return args.result;
      },
    };
    const counted = { ...fx.ctx, store: { ...fx.ctx.store, db: fx.ctx.store.db.withPlugin(counting) } };
    const ra = createRa(counted);
    const req = request(await opensslCsr(), { idempotencyKey: 'three-statements' });
    const { certificate, replayed } = await issue(ra, req);
    assert.equal(replayed, false);
    assert.equal(sent.length, 3, sent.join(', '));
    // Everything of the old eight statements is there: certificate, subject, audit entry, completed idempotency record.
    const stored = await ctx.store.db.selectFrom('idempotency_keys').select(['response_status', 'response']).where('key', '=', 'three-statements').executeTakeFirstOrThrow();
    assert.equal(stored.response_status, 201);
    assert.deepEqual(stored.response, { certificateId: certificate.id, ca: fx.caName, serial: normalizeSerial(certificate.serial) });
    const audit = await ctx.store.db.selectFrom('audit_log').select(['action', 'details']).where('target', '=', `certificate:${fx.caName}/${certificate.serial}`).execute();
    assert.deepEqual(audit.map((a) => a.action), ['certificate.issued']);
    assert.equal(audit[0]!.details.idempotencyKey, 'three-statements');
    const subject = await ctx.store.db.selectFrom('subjects').select(['surname', 'email']).where('iin', '=', certificate.iin!).executeTakeFirstOrThrow();
    assert.deepEqual(subject, { surname: 'Сәрсенбаев', email: 'askar@example.kz' });
    // A replay is the claim, the stored answer and the certificate it names: no CA, no key check, no signature.
    sent.length = 0;
    const again = await issue(ra, req);
    assert.equal(again.replayed, true);
    assert.equal(again.certificate.id, certificate.id);
    assert.equal(sent.length, 3, sent.join(', '));
  });

  test('a serial collision keeps nothing of the discarded attempt: one audit entry, the answer names the stored certificate, the other certificate untouched', async () => {
    const existing = await ctx.store.db.selectFrom('certificates').select('serial').where('ca_id', '=', fx.caId).executeTakeFirstOrThrow();
    const asBytes = existing.serial.length % 2 ? `0${existing.serial}` : existing.serial;
    let calls = 0;
    const ra = createRa(fx.ctx, { serialSource: () => (calls++ === 0 ? asBytes : undefined) });
    const issuedBefore = await ctx.store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).where('action', '=', 'certificate.issued').executeTakeFirstOrThrow();
    const req = request(await opensslCsr(), { idempotencyKey: 'collision-answer' });
    const { certificate } = await issue(ra, req);
    const issuedAfter = await ctx.store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).where('action', '=', 'certificate.issued').executeTakeFirstOrThrow();
    assert.equal(Number(issuedAfter.n), Number(issuedBefore.n) + 1);
    const answer = await ctx.store.db.selectFrom('idempotency_keys').select('response').where('key', '=', 'collision-answer').executeTakeFirstOrThrow();
    assert.equal((answer.response as { certificateId: string }).certificateId, certificate.id);
    // The existing certificate's row is untouched by the attempt that collided with it.
    const still = await ctx.store.db.selectFrom('certificates').select(['serial', 'subject_iin']).where('ca_id', '=', fx.caId).where('serial', '=', existing.serial).execute();
    assert.equal(still.length, 1);
    assert.notEqual(still[0]!.subject_iin, req.subject.iin);
  });

  test('two people racing with one key: exactly one is certified, the other is refused as reuse', async () => {
    const shared = await opensslCsr();
    const before = await count('certificates');
    const results = await Promise.allSettled([issue(fx.ra, request(shared)), issue(fx.ra, request(shared)), issue(fx.ra, request(shared))]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') rejects('QT_ERR_KEY_REUSED')(r.reason);
    assert.equal(await count('certificates'), before + 1);
  });

  test('a legal-entity profile carries the organisation and BIN; token storage lives three years', async () => {
    const req = request(await opensslCsr(), {
      profile: 'legal-ceo-sign',
      subject: { surname: 'Иванов', name: 'Иван', iin: uniqueIin(), organization: 'ТОО «Қолтаңба»', bin: '080440000018' },
      storage: 'token',
    });
    const { certificate } = await issue(fx.ra, req);
    assert.equal(certificate.bin, '080440000018');
    assert.equal(certificate.storage, 'token');
    const years = (certificate.notAfter.getTime() - certificate.notBefore.getTime()) / (365.25 * 86_400_000);
    assert.ok(years > 2.9, `validity ${years} years`);
    assert.ok((await opensslVerify(certificate.pem, fx.rootFile, fx.issuingFile)).ok);
  });

  test('bad requests are refused with their codes before anything is stored', async () => {
    const before = await Promise.all([count('certificates'), count('idempotency_keys'), count('audit_log')]);
    const good = request(await opensslCsr());
    const cases: [Partial<IssueRequest>, string][] = [
      [{ profile: 'nonexistent' }, 'QT_ERR_PROFILE_UNKNOWN'],
      [{ profile: 'root-ca' }, 'QT_ERR_PROFILE_UNKNOWN'],
      [{ subject: { ...good.subject, iin: '900101300018' } }, 'QT_ERR_IIN_INVALID'],
      [{ subject: { ...good.subject, surname: 'X,CN=evil' } }, 'QT_ERR_NAME_INVALID'],
      [{ subject: { ...good.subject, organization: 'ТОО' } }, 'QT_ERR_SUBJECT_INVALID'],
      [{ csr: 'not a certificate request' }, 'QT_ERR_CSR_MALFORMED'],
      [{ csr: good.csr.toString().slice(0, 300) + '\n-----END CERTIFICATE REQUEST-----\n' }, 'QT_ERR_CSR_MALFORMED'],
      [{ idempotencyKey: '' }, 'QT_ERR_IDEMPOTENCY_KEY_REQUIRED'],
      [{ idempotencyKey: 'has space' }, 'QT_ERR_IDEMPOTENCY_KEY_REQUIRED'],
      [{ ca: 'no-such-ca' }, 'QT_ERR_CA_NOT_FOUND'],
      [{ ca: 'root-rsa' }, 'QT_ERR_CA_NOT_ISSUING'],
      [{ applicationId: 'not-a-uuid' }, 'QT_ERR_INPUT_INVALID'],
      [{ applicationId: '5b0b3c1e-7f1a-4a53-9d3c-2f3b8f3e4a10' }, 'QT_ERR_APPLICATION_NOT_FOUND'],
      [{ email: 'not an address' }, 'QT_ERR_SUBJECT_INVALID'],
      [{ storage: 'cloud' as never }, 'QT_ERR_INPUT_INVALID'],
    ];
    for (const [change, code] of cases) {
      await assert.rejects(issue(fx.ra, { ...good, ...change }), rejects(code), JSON.stringify(change).slice(0, 80));
    }
    assert.deepEqual(await Promise.all([count('certificates'), count('idempotency_keys'), count('audit_log')]), before);
    // And the next request works.
    assert.equal((await issue(fx.ra, good)).replayed, false);
  });

  test('an approved application is fulfilled; one for someone else, or not approved, is refused', async () => {
    const iin = uniqueIin();
    await ctx.store.db.insertInto('subjects').values({ iin, surname: 'Ахметова', given_name: 'Әйгерім' }).execute();
    const app = await ctx.store.db
      .insertInto('applications')
      .values({ kind: 'issue', iin, expires_at: new Date(Date.now() + 86_400_000) })
      .returning('id')
      .executeTakeFirstOrThrow();
    const req = request(await opensslCsr(), { subject: { surname: 'Ахметова', name: 'Әйгерім', iin }, applicationId: app.id });
    await assert.rejects(issue(fx.ra, req), rejects('QT_ERR_APPLICATION_NOT_APPROVED'));
    await ctx.store.db.updateTable('applications').set({ state: 'verified' }).where('id', '=', app.id).execute();
    await ctx.store.db.updateTable('applications').set({ state: 'approved' }).where('id', '=', app.id).execute();
    await assert.rejects(issue(fx.ra, { ...req, idempotencyKey: 'x2', subject: { ...req.subject, iin: uniqueIin() } }), rejects('QT_ERR_APPLICATION_NOT_APPROVED'));
    const { certificate } = await issue(fx.ra, req);
    assert.equal(certificate.applicationId, app.id);
  });
});
