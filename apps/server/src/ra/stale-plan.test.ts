import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { describeEachBackend } from '../store/testing/backends.ts';
import { caFixture, uniqueIin, type CaFixture } from './testing/fixture.ts';
import { opensslCsr, type OpensslCsr } from './testing/openssl.ts';
import { issue, issuanceBatchSizes } from './batch.ts';
import { issueAsOneBatch } from './testing/batches.ts';
import type { IssueRequest } from './issue.ts';

// The store prepares the issuance's statements on its connections (store/prepared.ts). A migration that changes a
// column's type under them — a rolling upgrade — fails a prepared statement inside the issuance's transaction once;
// the issuance runs its transaction again and the certificate is issued, once, with its audit entry.
describeEachBackend(
  'RA issuance across a migration that changes a result type under its prepared statements',
  (ctx) => {
    let fx: CaFixture;
    const csrs: OpensslCsr[] = [];
    before(async () => {
      for (let i = 0; i < 16; i++) csrs.push(await opensslCsr());
    });
    after(async () => fx?.close());

    const request = (csr: OpensslCsr): IssueRequest => ({
      csr: csr.pem,
      profile: 'individual-auth',
      subject: { surname: 'Тестов', name: 'Тест', iin: uniqueIin() },
      storage: 'file',
      idempotencyKey: `stale-${Math.random()}`,
      actor: 'operator:test',
    });

    test('an issuance whose prepared statement went stale is run again and issues one audited certificate', async () => {
      fx = await caFixture(ctx.store);
      const { db } = ctx.store;
      // Warm: the issuance's statements are prepared on the one connection.
      for (const csr of csrs.slice(0, 3)) await issue(fx.ra, request(csr));
      const named = await sql<{ n: string }>`SELECT count(*) AS n FROM pg_prepared_statements WHERE name LIKE 'qt\\_%' AND statement LIKE '%"cas"%'`.execute(db);
      assert.ok(Number(named.rows[0]?.n) >= 1, 'the CA candidates statement is prepared');

      // The candidates statement returns cas.kind: its result type changes.
      await sql`ALTER TABLE cas ALTER COLUMN kind TYPE varchar(16)`.execute(db);
      const req = request(csrs[3]!);
      const { certificate, replayed } = await issue(fx.ra, req);
      assert.equal(replayed, false);
      const stored = await db.selectFrom('certificates').select(['id']).where('subject_iin', '=', req.subject.iin).execute();
      assert.equal(stored.length, 1);
      assert.equal(stored[0]!.id, certificate.id);
      const audited = await db
        .selectFrom('audit_log')
        .select('seq')
        .where('action', '=', 'certificate.issued')
        .where('target', '=', `certificate:${certificate.ca}/${certificate.serial}`)
        .execute();
      assert.equal(audited.length, 1);
      // And the same request again is the stored answer, not a second certificate.
      const again = await issue(fx.ra, req);
      assert.equal(again.replayed, true);
      assert.equal(again.certificate.id, certificate.id);
    });

    test('a batch whose prepared statement went stale is run again: each request one audited certificate', async () => {
      const { db } = ctx.store;
      const batch = (from: number) => issueAsOneBatch(ctx.store, fx.ra, request(csrs[from]!), [request(csrs[from + 1]!), request(csrs[from + 2]!)]);
      // Warm: the batch's statements are prepared on the one connection (named on their second run).
      await batch(4);
      await batch(7);
      const named = await sql<{ n: string }>`SELECT count(*) AS n FROM pg_prepared_statements WHERE name LIKE 'qt\\_%' AND statement LIKE '%unnest%'`.execute(db);
      assert.ok(Number(named.rows[0]?.n) >= 3, 'the batch statements are prepared');

      // The batch's second statement returns the stored answers' status: that result type changes.
      await sql`ALTER TABLE idempotency_keys ALTER COLUMN response_status TYPE integer`.execute(db);
      const { blocker, answers } = await batch(10);
      assert.deepEqual(issuanceBatchSizes(fx.ra).slice(-2), [1, 2]);
      for (const a of [blocker, ...answers]) {
        assert.ok(a.ok, a.ok ? '' : `${a.code}: ${a.message}`);
        const { certificate } = a.result;
        const stored = await db.selectFrom('certificates').select(['id']).where('subject_iin', '=', certificate.iin).execute();
        assert.equal(stored.length, 1);
        const audited = await db.selectFrom('audit_log').select('seq').where('action', '=', 'certificate.issued').where('target', '=', `certificate:${certificate.ca}/${certificate.serial}`).execute();
        assert.equal(audited.length, 1);
      }
    });
  },
  { poolSize: 1 },
);
