import { test, before, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { parseOcspResponse } from '@qoltanba/pki';
import { describeEachBackend } from '../store/testing/backends.ts';
import { verifyAudit } from '../audit/index.ts';
import { caFixture, uniqueIin, type CaFixture } from './testing/fixture.ts';
import { opensslCsr, opensslVerify, type OpensslCsr } from './testing/openssl.ts';
import { issue, issuanceBatchSizes } from './batch.ts';
import { answer, issueAsOneBatch, type Answer } from './testing/batches.ts';
import type { IssueRequest, IssueResult } from './issue.ts';
import { createRa, type Ra } from './ra.ts';
import { statusHooksFor } from './hooks.ts';
import { normalizeSerial } from './serial.ts';

function request(csr: OpensslCsr, over: Partial<IssueRequest> = {}): IssueRequest {
  return {
    csr: csr.pem,
    profile: 'individual-sign',
    subject: { surname: 'Сәрсенбаев', name: 'Асқар', iin: uniqueIin() },
    email: 'askar@example.kz',
    storage: 'file',
    identification: 'in-person',
    idempotencyKey: `batch-${Math.random()}`,
    actor: 'operator:test',
    ...over,
  };
}

describeEachBackend('RA issuance in batches (group commit)', (ctx) => {
  let fx: CaFixture;
  const csrs: OpensslCsr[] = [];
  before(async () => {
    for (let i = 0; i < 30; i++) csrs.push(await opensslCsr());
  });
  after(async () => fx?.close());
  let next = 0;
  const freshCsr = () => csrs[next++]!;

  const count = async (table: 'certificates' | 'audit_log' | 'idempotency_keys' | 'ocsp_responses') =>
    Number((await ctx.store.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

  const asOneBatch = (ra: Ra, blocker: IssueRequest, requests: readonly IssueRequest[], queued = requests.length, later: readonly IssueRequest[] = []) =>
    issueAsOneBatch(ctx.store, ra, blocker, requests, queued, later);

  const issued = (a: Answer): IssueResult => {
    assert.ok(a.ok, a.ok ? '' : `${a.code}: ${a.message}`);
    return a.result;
  };

  test('requests waiting together are one transaction: each certificate stored with its audit entry, idempotency answer and OCSP response; the chain verifies', async () => {
    fx = await caFixture(ctx.store);
    // Pre-signing after the commit is counted: none is needed, the request alone and the batch store their responses
    // with their certificates.
    let afterCommit = 0;
    const hooks = statusHooksFor(fx.status);
    const ra = createRa(fx.ctx, { hooks: { ...hooks, afterIssue: (caId, serial) => (afterCommit++, hooks.afterIssue(caId, serial)) } });
    // A batch signs with the CAs as the status service last loaded them (never a load inside its transaction).
    await fx.status.directory.all();
    const before = await Promise.all([count('certificates'), count('audit_log'), count('idempotency_keys'), count('ocsp_responses')]);
    const requests = Array.from({ length: 4 }, () => request(freshCsr()));
    const { blocker, answers } = await asOneBatch(ra, request(freshCsr()), requests);
    assert.deepEqual(issuanceBatchSizes(ra), [1, 4]);
    assert.equal(afterCommit, 0);
    const all = [issued(blocker), ...answers.map(issued)];
    for (const r of all) {
      assert.equal(r.replayed, false);
      const verdict = await opensslVerify(r.certificate.pem, fx.rootFile, fx.issuingFile);
      assert.ok(verdict.ok, verdict.output);
      const ocsp = await ctx.store.db.selectFrom('ocsp_responses').select(['cert_status', 'der']).where('ca_id', '=', fx.caId).where('serial', '=', normalizeSerial(r.certificate.serial)).executeTakeFirstOrThrow();
      assert.equal(ocsp.cert_status, 'good');
      assert.equal(parseOcspResponse(ocsp.der).basic?.responses[0]?.status, 'good');
      const entry = await ctx.store.db.selectFrom('audit_log').select(['actor', 'details']).where('action', '=', 'certificate.issued').where('target', '=', `certificate:${fx.caName}/${r.certificate.serial}`).execute();
      assert.equal(entry.length, 1);
      assert.equal(entry[0]!.details.serialAttempts, 1);
    }
    assert.deepEqual(await Promise.all([count('certificates'), count('audit_log'), count('idempotency_keys'), count('ocsp_responses')]), before.map((n) => n + 5));
    const keys = await ctx.store.db.selectFrom('idempotency_keys').select(['response_status']).execute();
    assert.ok(keys.every((k) => k.response_status === 201));
    // The answers are the stored ones: the same request again is a replay of each.
    for (const [i, r] of requests.entries()) {
      const again = await issue(ra, r);
      assert.equal(again.replayed, true);
      assert.equal(again.certificate.id, issued(answers[i]!).certificate.id);
    }
    const audit = await verifyAudit(ctx.store.db);
    assert.equal(audit.ok, true, JSON.stringify(audit.problems));
  });

  test('in one batch, each refused request gets the error it gets alone and the others are issued; no claim is left behind and the chain has no gap', async () => {
    // What the refusals need: a key certified to someone, and two answered requests.
    const owned = freshCsr();
    await issue(fx.ra, request(owned));
    const answered = request(freshCsr());
    const first = await issue(fx.ra, answered);
    const conflicting = request(freshCsr());
    await issue(fx.ra, conflicting);

    const good = [request(freshCsr()), request(freshCsr()), request(freshCsr())];
    const refused: [IssueRequest, string][] = [
      [request(owned), 'QT_ERR_KEY_REUSED'],
      [{ ...conflicting, profile: 'individual-auth' }, 'QT_ERR_IDEMPOTENCY_CONFLICT'],
      [request(freshCsr(), { applicationId: '5b0b3c1e-7f1a-4a53-9d3c-2f3b8f3e4a10' }), 'QT_ERR_APPLICATION_NOT_FOUND'],
      [request(freshCsr(), { ca: 'no-such-ca' }), 'QT_ERR_CA_NOT_FOUND'],
      // Refused by the certificate's builder, i.e. at signing, after the claim.
      [request(freshCsr(), { email: 'not an address' }), 'QT_ERR_SUBJECT_INVALID'],
    ];
    const broken: [IssueRequest, string] = [request(freshCsr(), { csr: 'not a certificate request' }), 'QT_ERR_CSR_MALFORMED'];
    const members = [good[0]!, ...refused.slice(0, 2).map(([r]) => r), good[1]!, { ...answered }, ...refused.slice(2).map(([r]) => r), broken[0], good[2]!];
    const before = await Promise.all([count('certificates'), count('audit_log'), count('idempotency_keys')]);
    // The malformed CSR is refused before it reaches the queue.
    const { blocker, answers } = await asOneBatch(fx.ra, request(freshCsr()), members, members.length - 1);
    assert.deepEqual(issuanceBatchSizes(fx.ra).slice(-2), [1, members.length - 1]);
    issued(blocker);
    const by = (r: IssueRequest) => answers[members.indexOf(r)]!;
    for (const r of good) assert.equal(issued(by(r)).replayed, false);
    const replay = issued(by(members[4]!));
    assert.equal(replay.replayed, true);
    assert.equal(replay.certificate.id, first.certificate.id);
    for (const [r, code] of [...refused, broken]) {
      const a = by(r);
      assert.ok(!a.ok, `${code} expected`);
      assert.equal(a.code, code);
      // Exactly what the same request gets alone.
      const alone = await answer(issue(fx.ra, r));
      assert.ok(!alone.ok);
      assert.deepEqual({ code: a.code, message: a.message }, { code: alone.code, message: alone.message });
    }
    assert.deepEqual(await Promise.all([count('certificates'), count('audit_log'), count('idempotency_keys')]), [before[0] + 4, before[1] + 4, before[2] + 4]);
    const open = await ctx.store.db.selectFrom('idempotency_keys').select('key').where('response_status', 'is', null).execute();
    assert.deepEqual(open, [], 'no refused request keeps a claim');
    const audit = await verifyAudit(ctx.store.db);
    assert.equal(audit.ok, true, JSON.stringify(audit.problems));
    const seqs = (await ctx.store.db.selectFrom('audit_log').select('seq').orderBy('seq').execute()).map((r) => Number(r.seq));
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'no gap in the chain');
  });

  test('the same idempotency key twice among waiting requests: the second waits for the next transaction and gets the first one\'s certificate; another request under it is a conflict', async () => {
    const same = request(freshCsr());
    const other = request(freshCsr());
    const conflict = { ...same, profile: 'individual-auth' };
    // The conflicting request queues after the others (requests reach the queue as their checks finish, in no set order).
    const { answers } = await asOneBatch(fx.ra, request(freshCsr()), [same, { ...same }, other], 3, [conflict]);
    // [same, other], then [same again], then [conflict]: a key is never twice in one transaction.
    assert.deepEqual(issuanceBatchSizes(fx.ra).slice(-4), [1, 2, 1, 1]);
    // Whichever of the two identical requests queued first is issued; the other replays it.
    const [a, b] = [issued(answers[0]!), issued(answers[1]!)].sort((x, y) => Number(x.replayed) - Number(y.replayed));
    assert.equal(a!.replayed, false);
    assert.equal(b!.replayed, true);
    assert.equal(b!.certificate.id, a!.certificate.id);
    assert.equal(issued(answers[2]!).replayed, false);
    const refused = answers[3]!;
    assert.ok(!refused.ok && refused.code === 'QT_ERR_IDEMPOTENCY_CONFLICT');
  });

  test('a batch whose transaction fails as a whole is issued one by one: the request the database refuses gets its own error, the others their certificates', async () => {
    const bad = request(freshCsr());
    // A refusal only the database knows (as a constraint or trigger would), for one person's row.
    await sql`CREATE FUNCTION test_refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.subject_iin = ${sql.lit(bad.subject.iin)} THEN RAISE EXCEPTION 'refused for the test' USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$`.execute(ctx.store.db);
    await sql`CREATE TRIGGER test_refuse_one BEFORE INSERT ON certificates FOR EACH ROW EXECUTE FUNCTION test_refuse_one()`.execute(ctx.store.db);
    try {
      const good = [request(freshCsr()), request(freshCsr())];
      const members = [good[0]!, bad, good[1]!];
      const before = await Promise.all([count('certificates'), count('audit_log'), count('idempotency_keys')]);
      const { answers } = await asOneBatch(fx.ra, request(freshCsr()), members);
      assert.deepEqual(issuanceBatchSizes(fx.ra).slice(-2), [1, 3]);
      assert.equal(issued(answers[0]!).replayed, false);
      assert.equal(issued(answers[2]!).replayed, false);
      const refused = answers[1]!;
      assert.ok(!refused.ok);
      const alone = await answer(issue(fx.ra, { ...bad, idempotencyKey: `${bad.idempotencyKey}-alone` }));
      assert.ok(!alone.ok);
      assert.deepEqual({ code: refused.code, message: refused.message }, { code: alone.code, message: alone.message });
      assert.deepEqual(await Promise.all([count('certificates'), count('audit_log'), count('idempotency_keys')]), [before[0] + 3, before[1] + 3, before[2] + 3]);
      assert.equal((await verifyAudit(ctx.store.db)).ok, true);
    } finally {
      await sql`DROP TRIGGER test_refuse_one ON certificates`.execute(ctx.store.db);
      await sql`DROP FUNCTION test_refuse_one()`.execute(ctx.store.db);
    }
  });

  test('a serial collision in a batch signs that request again with a new serial; the others are stored as they were', async () => {
    const existing = await ctx.store.db.selectFrom('certificates').select('serial').where('ca_id', '=', fx.caId).executeTakeFirstOrThrow();
    const asBytes = existing.serial.length % 2 ? `0${existing.serial}` : existing.serial;
    let calls = 0;
    // The blocker takes the first serial from the source; the batch's first signature the second: the collision.
    const ra = createRa(fx.ctx, { hooks: statusHooksFor(fx.status), serialSource: () => (++calls === 2 ? asBytes : undefined) });
    const members = [request(freshCsr()), request(freshCsr())];
    const { answers } = await asOneBatch(ra, request(freshCsr()), members);
    assert.deepEqual(issuanceBatchSizes(ra), [1, 2]);
    const results = answers.map(issued);
    assert.equal(calls, 4);
    assert.ok(results.every((r) => normalizeSerial(r.certificate.serial) !== existing.serial));
    const attempts = await Promise.all(
      results.map(async (r) => (await ctx.store.db.selectFrom('audit_log').select('details').where('target', '=', `certificate:${fx.caName}/${r.certificate.serial}`).executeTakeFirstOrThrow()).details.serialAttempts),
    );
    assert.deepEqual(attempts.sort(), [1, 2]);
    for (const r of results) assert.ok((await opensslVerify(r.certificate.pem, fx.rootFile, fx.issuingFile)).ok);
    assert.equal((await verifyAudit(ctx.store.db)).ok, true);
  });

  test('a request alone is not held back: it starts at once, with no timer to wait for', async () => {
    // With timers frozen, a batcher that waited on one would never answer.
    mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
    try {
      const sizes = issuanceBatchSizes(fx.ra).length;
      const r = await issue(fx.ra, request(freshCsr()));
      assert.equal(r.replayed, false);
      assert.equal(issuanceBatchSizes(fx.ra).length, sizes + 1);
      assert.equal(issuanceBatchSizes(fx.ra).at(-1), 1);
    } finally {
      mock.timers.reset();
    }
  });
});
