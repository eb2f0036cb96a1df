import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { describeEachBackend } from '../store/testing/backends.ts';
import { appendAudit } from './append.ts';
import { rowHash } from './canonical.ts';
import { verifyAudit, type AuditProblem } from './verify.ts';

/** Acts as a database superuser would: the append-only triggers are switched off for the statements. */
async function tamper(db: Kysely<Database>, ...statements: string[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`ALTER TABLE audit_log DISABLE TRIGGER USER`.execute(trx);
    for (const statement of statements) await sql.raw(statement).execute(trx);
    await sql`ALTER TABLE audit_log ENABLE TRIGGER USER`.execute(trx);
  });
}

/** seq, kind and the kind's extra field of each problem; every problem must also explain itself. */
function named(problems: AuditProblem[]): Array<Omit<AuditProblem, 'message'>> {
  return problems.map(({ message, ...rest }) => {
    assert.ok(message.length > 10, 'each problem carries a message');
    return rest;
  });
}

/** A row that links to the current last row and hashes correctly: what an informed forger writes. */
async function wellFormedForgery(db: Kysely<Database>, seq: number, prevHash: Buffer) {
  const row = { seq: String(seq), at: new Date('2030-01-01T00:00:00.000Z'), actor: 'operator:mallory', action: 'certificate.issued', target: null, details: { serial: 'f0f0' } };
  const hash = rowHash(prevHash, row);
  await db.insertInto('audit_log').values({ ...row, details: JSON.stringify(row.details), prev_hash: prevHash, hash }).execute();
  return hash;
}

/** Empties the chain (as a superuser could) and appends rows 1..10. */
async function tenRowChain(db: Kysely<Database>): Promise<Kysely<Database>> {
  await tamper(db, 'TRUNCATE audit_log', `UPDATE audit_head SET seq = 0, hash = decode(repeat('00', 32), 'hex')`);
  for (let i = 1; i <= 10; i++) {
    await appendAudit(db, { actor: 'system:ra', action: 'certificate.issued', target: `certificate:issuing/${i}`, details: { serial: i.toString(16), n: i } });
  }
  return db;
}

describeEachBackend('verifyAudit', (ctx) => {
  test('an untouched chain verifies', async () => {
    const db = await tenRowChain(ctx.store.db);
    assert.deepEqual(await verifyAudit(db), { ok: true, rows: 10, headSeq: 10, problems: [] });
  });

  test('an empty chain verifies', async () => {
    const db = await tenRowChain(ctx.store.db);
    await tamper(db, 'TRUNCATE audit_log', `UPDATE audit_head SET seq = 0, hash = decode(repeat('00', 32), 'hex')`);
    assert.deepEqual(await verifyAudit(db), { ok: true, rows: 0, headSeq: 0, problems: [] });
  });

  test("UPDATE of a row's details is named as a changed row", async () => {
    const db = await tenRowChain(ctx.store.db);
    await tamper(db, `UPDATE audit_log SET details = '{"serial": "4", "n": 400}' WHERE seq = 4`);
    const result = await verifyAudit(db);
    assert.equal(result.ok, false);
    assert.deepEqual(named(result.problems), [{ seq: 4, kind: 'changed' }]);
  });

  test('a changed row whose hash was recomputed to match is still named, by its successor', async () => {
    const db = await tenRowChain(ctx.store.db);
    const row = await db.selectFrom('audit_log').selectAll().where('seq', '=', '4').executeTakeFirstOrThrow();
    const details = { serial: '4', n: 400 };
    const hash = rowHash(row.prev_hash, { ...row, details });
    await db.transaction().execute(async (trx) => {
      await sql`ALTER TABLE audit_log DISABLE TRIGGER USER`.execute(trx);
      await sql`UPDATE audit_log SET details = ${JSON.stringify(details)}::jsonb, hash = ${hash} WHERE seq = 4`.execute(trx);
      await sql`ALTER TABLE audit_log ENABLE TRIGGER USER`.execute(trx);
    });
    assert.deepEqual(named((await verifyAudit(db)).problems), [{ seq: 4, kind: 'changed' }]);
  });

  test('DELETE of a middle row is named as a deleted row', async () => {
    const db = await tenRowChain(ctx.store.db);
    await tamper(db, 'DELETE FROM audit_log WHERE seq = 5');
    assert.deepEqual(named((await verifyAudit(db)).problems), [{ seq: 5, kind: 'deleted', through: 5 }]);
  });

  test('rows deleted from the end are named, because the head remembers them', async () => {
    const db = await tenRowChain(ctx.store.db);
    await tamper(db, 'DELETE FROM audit_log WHERE seq >= 9');
    assert.deepEqual(named((await verifyAudit(db)).problems), [{ seq: 9, kind: 'deleted', through: 10 }]);
  });

  test("swapping two rows' seq is named as reordered, with where each row belongs", async () => {
    const db = await tenRowChain(ctx.store.db);
    await tamper(db, 'UPDATE audit_log SET seq = 1000 WHERE seq = 3', 'UPDATE audit_log SET seq = 3 WHERE seq = 7', 'UPDATE audit_log SET seq = 7 WHERE seq = 1000');
    assert.deepEqual(named((await verifyAudit(db)).problems), [
      { seq: 3, kind: 'reordered', originalSeq: 7 },
      { seq: 7, kind: 'reordered', originalSeq: 3 },
    ]);
  });

  test('swapping neighbours, including the last row, is named as reordered', async () => {
    const db = await tenRowChain(ctx.store.db);
    await tamper(db, 'UPDATE audit_log SET seq = 1000 WHERE seq = 9', 'UPDATE audit_log SET seq = 9 WHERE seq = 10', 'UPDATE audit_log SET seq = 10 WHERE seq = 1000');
    assert.deepEqual(named((await verifyAudit(db)).problems), [
      { seq: 9, kind: 'reordered', originalSeq: 10 },
      { seq: 10, kind: 'reordered', originalSeq: 9 },
    ]);
  });

  test('a forged row INSERTed without the chain is named as inserted', async () => {
    const db = await tenRowChain(ctx.store.db);
    const garbage = `'\\x${randomBytes(32).toString('hex')}'::bytea`;
    await tamper(
      db,
      `INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash)
       VALUES (11, now(), 'operator:mallory', 'certificate.issued', NULL, '{}', ${garbage}, ${garbage})`,
    );
    assert.deepEqual(named((await verifyAudit(db)).problems), [{ seq: 11, kind: 'inserted' }]);
  });

  test('a forged row that extends the chain correctly is named as inserted, because the head never moved', async () => {
    const db = await tenRowChain(ctx.store.db);
    const last = await db.selectFrom('audit_log').select('hash').where('seq', '=', '10').executeTakeFirstOrThrow();
    await wellFormedForgery(db, 11, last.hash);
    assert.deepEqual(named((await verifyAudit(db)).problems), [{ seq: 11, kind: 'inserted' }]);
  });

  test('a forged row with the head moved onto it is named as inserted, because it does not link', async () => {
    const db = await tenRowChain(ctx.store.db);
    const hash = await wellFormedForgery(db, 11, randomBytes(32));
    await sql`UPDATE audit_head SET seq = 11, hash = ${hash}`.execute(db);
    assert.deepEqual(named((await verifyAudit(db)).problems), [{ seq: 11, kind: 'inserted' }]);
  });

  test('appends committed while verification runs are not mistaken for tampering', async () => {
    const db = await tenRowChain(ctx.store.db);
    let appending = true;
    const appenders = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; appending; i++) await appendAudit(db, { actor: `system:worker-${w}`, action: 'concurrent.append', details: { i } });
    });
    try {
      for (let round = 0; round < 10; round++) assert.deepEqual((await verifyAudit(db)).problems, []);
    } finally {
      appending = false;
      await Promise.all(appenders);
    }
    assert.deepEqual((await verifyAudit(db)).problems, []);
  });
});
