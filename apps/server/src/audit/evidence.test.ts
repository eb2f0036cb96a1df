import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildOcspRequest, formatSerial, parseOcspResponse } from '@qoltanba/pki';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { describeEachBackend } from '../store/testing/backends.ts';
import { caFixture, uniqueIin, type CaFixture } from '../ra/testing/fixture.ts';
import { opensslCsr } from '../ra/testing/openssl.ts';
import { issue } from '../ra/batch.ts';
import { revoke } from '../ra/revoke.ts';
import { normalizeSerial } from '../ra/serial.ts';
import { appendAudit } from './append.ts';
import { rowHash } from './canonical.ts';
import { verifyAudit, type AuditProblem } from './verify.ts';
import { CheckpointFile } from './checkpoints/file.ts';
import { activeAuditKey, signCheckpoint } from './checkpoints/sign.ts';

/** What a database superuser can do to the audit log: its append-only triggers switched off for the statements. */
async function asSuperuser(db: Kysely<Database>, ...statements: ReturnType<typeof sql>[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`ALTER TABLE audit_log DISABLE TRIGGER USER`.execute(trx);
    for (const s of statements) await s.execute(trx);
    await sql`ALTER TABLE audit_log ENABLE TRIGGER USER`.execute(trx);
  });
}

const kinds = (problems: AuditProblem[]) => problems.map((p) => [p.seq, p.kind]);

describeEachBackend('evidence the database cannot rewrite', (ctx) => {
  let fx: CaFixture;
  const dir = mkdtempSync(join(tmpdir(), 'qt-evidence-'));
  after(async () => {
    await fx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function newCertificate(): Promise<{ serial: string; der: Uint8Array; target: string }> {
    const csr = await opensslCsr();
    const { certificate } = await issue(fx.ra, {
      csr: csr.pem,
      profile: 'individual-sign',
      subject: { surname: 'Нұрланов', name: 'Ерлан', iin: uniqueIin() },
      storage: 'file',
      idempotencyKey: `k-${Math.random()}`,
      actor: 'operator:test',
    });
    const row = await ctx.store.db.selectFrom('certificates').select('der').where('serial', '=', normalizeSerial(certificate.serial)).executeTakeFirstOrThrow();
    return { serial: certificate.serial, der: new Uint8Array(row.der), target: `certificate:${fx.caName}/${certificate.serial}` };
  }

  test('the CA ceremony made the audit checkpoint key; the audit log is intact', async () => {
    fx = await caFixture(ctx.store);
    const key = await activeAuditKey(ctx.store.db);
    assert.equal(key.keyUri, 'soft:audit-checkpoints');
    assert.deepEqual(await verifyAudit(ctx.store.db), { ok: true, rows: (await verifyAudit(ctx.store.db)).rows, headSeq: (await verifyAudit(ctx.store.db)).headSeq, problems: [] });
  });

  test('the SQL display spelling of a serial is formatSerial\'s, so the trigger and the RA name a certificate alike', async () => {
    for (const stored of ['1', 'a', 'cf283bc', '7f', '100', 'ffffffffffffffffffffffffffffffffffffffff']) {
      const { rows } = await sql<{ s: string }>`SELECT certificate_display_serial(${stored}) AS s`.execute(ctx.store.db);
      assert.equal(rows[0]!.s, formatSerial(stored), stored);
    }
  });

  test('a direct UPDATE that revokes a certificate without its audit entry is refused, and so is one whose entry names another change', async () => {
    const c = await newCertificate();
    const other = await newCertificate();
    const stored = normalizeSerial(c.serial);
    const revokeIt = (db: Kysely<Database>) =>
      sql`UPDATE certificates SET status = 'revoked', revocation_reason = 1, revoked_at = '2026-01-02T03:04:05.678Z' WHERE serial = ${stored}`.execute(db);
    await assert.rejects(revokeIt(ctx.store.db), /needs its audit entry/);

    const entry = (target: string, reason: string) => ({
      actor: 'operator:mallory',
      action: 'certificate.revoked',
      target,
      details: { ca: fx.caName, serial: c.serial, reason, from: 'good', to: 'revoked', revokedAt: '2026-01-02T03:04:05.678Z', invalidityDate: null },
    });
    for (const [what, e] of [
      ['another certificate', entry(other.target, 'keyCompromise')],
      ['another reason', entry(c.target, 'superseded')],
      ['another action', { ...entry(c.target, 'keyCompromise'), action: 'certificate.held' }],
    ] as const) {
      await assert.rejects(
        ctx.store.db.transaction().execute(async (trx) => {
          await appendAudit(trx, e);
          await revokeIt(trx);
        }),
        /needs its audit entry/,
        what,
      );
    }
    // One entry vouches for one change: holding and releasing in one transaction needs two.
    await assert.rejects(
      ctx.store.db.transaction().execute(async (trx) => {
        await appendAudit(trx, { ...entry(c.target, 'certificateHold'), action: 'certificate.held', details: { ca: fx.caName, serial: c.serial, from: 'good', to: 'on_hold', revokedAt: '2026-01-02T03:04:05.678Z', invalidityDate: null } });
        await sql`UPDATE certificates SET status = 'on_hold', revocation_reason = 6, revoked_at = '2026-01-02T03:04:05.678Z' WHERE serial = ${stored}`.execute(trx);
        await sql`UPDATE certificates SET status = 'revoked', revocation_reason = 1 WHERE serial = ${stored}`.execute(trx);
      }),
      /needs its audit entry/,
    );
    const row = await ctx.store.db.selectFrom('certificates').select('status').where('serial', '=', stored).executeTakeFirstOrThrow();
    assert.equal(row.status, 'good', 'nothing of the refused changes stayed');

    // With the entry that names exactly this change, queued first, the same UPDATE goes through (the RA's way).
    await ctx.store.db.transaction().execute(async (trx) => {
      await appendAudit(trx, entry(c.target, 'keyCompromise'));
      await revokeIt(trx);
    });
    assert.equal((await verifyAudit(ctx.store.db)).ok, true);
    // Certificates are never deleted either.
    await assert.rejects(sql`DELETE FROM certificates WHERE serial = ${stored}`.execute(ctx.store.db), /never deleted/);
  });

  test('set back to good with the triggers off (session_replication_role = replica): audit verify names it and OCSP refuses to sign good', async () => {
    const c = await newCertificate();
    await revoke(fx.ra, { ca: fx.caName, serial: c.serial, reason: 'keyCompromise', actor: 'operator:test' });
    const stored = normalizeSerial(c.serial);
    await ctx.store.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL session_replication_role = replica`.execute(trx);
      await sql`UPDATE certificates SET status = 'good', revocation_reason = NULL, revoked_at = NULL, invalidity_date = NULL WHERE serial = ${stored}`.execute(trx);
    });
    const row = await ctx.store.db.selectFrom('certificates').select('status').where('serial', '=', stored).executeTakeFirstOrThrow();
    assert.equal(row.status, 'good', 'the edit went through: the triggers were off');

    const result = await verifyAudit(ctx.store.db);
    assert.equal(result.ok, false);
    const named = result.problems.filter((p) => p.kind === 'disagrees');
    assert.deepEqual(named.map((p) => p.certificate), [c.target]);
    assert.match(named[0]!.message, /the database says it is good.*revoked \(keyCompromise\)/);

    // OCSP: the stored "revoked" response no longer matches the row, and re-signing it "good" is refused —
    // pre-signed (no nonce) and on demand (nonce) alike; nothing "good" is stored.
    const ca = new Uint8Array((await ctx.store.db.selectFrom('cas').select('certificate').where('id', '=', fx.caId).executeTakeFirstOrThrow()).certificate);
    const plain = await fx.status.responder.answer(await buildOcspRequest(c.der, ca));
    assert.equal(plain.outcome, 'internalError');
    const nonce = await fx.status.responder.answer(await buildOcspRequest(c.der, ca, { nonce: new Uint8Array(16).fill(7) }));
    assert.equal(nonce.outcome, 'internalError');
    assert.equal(parseOcspResponse(nonce.der).status, 'internalError');
    assert.equal(await fx.status.presign(fx.caId, [stored]), 0);
    const response = await ctx.store.db.selectFrom('ocsp_responses').select('cert_status').where('serial', '=', stored).executeTakeFirstOrThrow();
    assert.equal(response.cert_status, 'revoked');

    // Put right (as it was), everything agrees again.
    const revoked = await ctx.store.db.selectFrom('certificate_status_changes').select(['revoked_at']).where('serial', '=', stored).orderBy('id', 'desc').executeTakeFirstOrThrow();
    await ctx.store.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL session_replication_role = replica`.execute(trx);
      await sql`UPDATE certificates SET status = 'revoked', revocation_reason = 1, revoked_at = ${revoked.revoked_at} WHERE serial = ${stored}`.execute(trx);
    });
    assert.equal((await verifyAudit(ctx.store.db)).ok, true);
  });

  test('the newest audit row deleted and audit_head rewritten: the chain alone cannot tell, the signed checkpoints can', async () => {
    const file = new CheckpointFile(join(dir, `${ctx.backend}-checkpoints.jsonl`));
    const checkpoint = async () => {
      const signed = await signCheckpoint(ctx.store.db, fx.signers);
      assert.ok(signed);
      file.append([signed.line]);
      return signed.checkpoint;
    };
    const evidence = async () => ({ lines: file.lines(), publicKey: (await activeAuditKey(ctx.store.db)).publicKey });
    await checkpoint();
    await appendAudit(ctx.store.db, { actor: 'citizen:900101300123', action: 'portal.login', details: { iin: '900101300123' } });
    const last = await checkpoint();
    const intact = await verifyAudit(ctx.store.db, { checkpoints: await evidence() });
    assert.equal(intact.ok, true, JSON.stringify(intact.problems));
    assert.deepEqual(intact.checkpoints, { verified: 2, newest: { seq: Number(last.seq), at: last.at } });
    // Nothing happened since: no second checkpoint of the same head.
    assert.equal(await signCheckpoint(ctx.store.db, fx.signers), undefined);

    const n = Number(last.seq);
    const previous = await ctx.store.db.selectFrom('audit_log').select('hash').where('seq', '=', String(n - 1)).executeTakeFirstOrThrow();
    await asSuperuser(ctx.store.db, sql`DELETE FROM audit_log WHERE seq = ${n}`, sql`UPDATE audit_head SET seq = ${n - 1}, hash = ${previous.hash}`);
    assert.equal((await verifyAudit(ctx.store.db)).ok, true, 'the chain alone sees a consistent, shorter log');
    const truncated = await verifyAudit(ctx.store.db, { checkpoints: await evidence() });
    assert.deepEqual(kinds(truncated.problems), [[n, 'truncated']]);
    assert.match(truncated.problems[0]!.message, new RegExp(`row ${n} is gone: the checkpoint of .* vouches for row ${n}, the log ends at row ${n - 1}`));

    // A rewritten tail: another row n, well formed, linked and at the head.
    const forged = { seq: String(n), at: new Date(), actor: 'system:ra', action: 'portal.logout', target: null, details: { iin: '900101300123' } };
    const hash = rowHash(previous.hash, forged);
    await asSuperuser(
      ctx.store.db,
      sql`INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash) VALUES (${forged.seq}, ${forged.at}, ${forged.actor}, ${forged.action}, NULL, ${JSON.stringify(forged.details)}::jsonb, ${previous.hash}, ${hash})`,
      sql`UPDATE audit_head SET seq = ${n}, hash = ${hash}`,
    );
    assert.equal((await verifyAudit(ctx.store.db)).ok, true, 'the chain alone sees a consistent log');
    const rewritten = await verifyAudit(ctx.store.db, { checkpoints: await evidence() });
    assert.deepEqual(kinds(rewritten.problems), [[n, 'rewritten']]);

    // A checkpoint line that was not signed by the audit key proves nothing and is named.
    const tampered = file.lines()[0]!.replace(/"seq":"\d+"/, `"seq":"${n + 5}"`);
    appendFileSync(file.path, `${tampered}\n`);
    const withForgery = await verifyAudit(ctx.store.db, { checkpoints: await evidence() });
    assert.deepEqual(kinds(withForgery.problems), [[0, 'checkpoint'], [n, 'rewritten']]);
    assert.match(withForgery.problems[0]!.message, /does not verify under the audit checkpoint key/);
  });

  test("a node's file takes up the checkpoints other nodes signed, checking each; a line forged in the database is not taken up", async () => {
    const mine = new CheckpointFile(join(dir, `${ctx.backend}-other-node.jsonl`));
    const key = await activeAuditKey(ctx.store.db);
    const taken = await mine.catchUp(ctx.store.db, key);
    const inDb = await ctx.store.db.selectFrom('audit_checkpoints').select('line').orderBy('id').execute();
    assert.equal(taken, inDb.length);
    assert.deepEqual(mine.lines(), inDb.map((r) => r.line));
    const forgedLine = inDb[0]!.line.replace(/"at":"[^"]+"/, '"at":"2099-01-01T00:00:00.000Z"');
    await ctx.store.db.insertInto('audit_checkpoints').values({ seq: '1', at: new Date('2099-01-01T00:00:00Z'), line: forgedLine }).execute();
    assert.equal(await mine.catchUp(ctx.store.db, key), 0);
    assert.equal(mine.lines().length, inDb.length);
    await ctx.store.db.deleteFrom('audit_checkpoints').execute();
    assert.equal(mine.lines().length, inDb.length, 'deleting the database copy removes nothing from the file');
  });
});
