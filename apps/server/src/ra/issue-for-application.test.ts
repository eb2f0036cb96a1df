/**
 * An application's pair of certificates and its completion, on both backends: one transaction (the surface's
 * record failing leaves neither certificate and the application approved), idempotent per agent request, and
 * a second request for the same application gets the first one's answer or is refused — never a second pair.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildOcspRequest, isQtError, parseOcspResponse } from '@qoltanba/pki';
import { readFileSync } from 'node:fs';
import { describeEachBackend } from '../store/testing/backends.ts';
import { moveApplication } from './applications.ts';
import { issueForApplication, issuedForAgent, issuedForAgentFrom, type ApplicationIssuance } from './issue-for-application.ts';
import { sql } from 'kysely';
import { fileApplication } from './testing/applications.ts';
import { noStatusHooks } from './hooks.ts';
import { createRa } from './ra.ts';
import { normalizeSerial } from './serial.ts';
import type { CertificateRecord } from './records.ts';
import { caFixture, type CaFixture } from './testing/fixture.ts';
import { opensslCsr, type OpensslCsr } from './testing/openssl.ts';

const refused = (code: string) => (e: unknown) => {
  assert.ok(isQtError(e), `expected a QtError ${code}, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  return true;
};

describeEachBackend('RA issuance for an application', (ctx) => {
  let fx: CaFixture;
  let keys: OpensslCsr[];
  before(async () => {
    keys = await Promise.all(Array.from({ length: 10 }, () => opensslCsr()));
  });
  after(async () => fx?.close());

  const approved = () => fileApplication(ctx.store.db, 'approved');

  function pairFor(app: { id: string; iin: string }, requestId: string, over: Partial<ApplicationIssuance> = {}): ApplicationIssuance {
    return {
      applicationId: app.id,
      via: 'test',
      requestId,
      subject: { surname: 'Ахметова', name: 'Әйгерім', iin: app.iin },
      storage: 'file',
      identification: 'remote',
      auth: { csr: keys[0]!.pem, profile: 'individual-auth' },
      sign: { csr: keys[1]!.pem, profile: 'individual-sign' },
      actor: `citizen:${app.iin}`,
      record: async () => {},
      ...over,
    };
  }

  const stateOf = async (id: string) => (await ctx.store.db.selectFrom('applications').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;
  const certificatesOf = async (id: string) => (await ctx.store.db.selectFrom('certificates').select(['id', 'kind']).where('application_id', '=', id).orderBy('id').execute());

  test('a failure before COMMIT (here the surface’s record) leaves neither certificate and the application approved; the retry issues both', async () => {
    fx = await caFixture(ctx.store);
    const app = await approved();
    await assert.rejects(
      issueForApplication(fx.ra, pairFor(app, 'r1', { record: async () => { throw new Error('the process died here'); } })),
      /the process died here/,
    );
    assert.equal(await stateOf(app.id), 'approved');
    assert.deepEqual(await certificatesOf(app.id), []);
    let seen: { auth: string; sign: string; state: string } | undefined;
    const issued = await issueForApplication(fx.ra, pairFor(app, 'r1', {
      record: async (trx, pair) => {
        // Inside the transaction the application is already completed: the record and the move commit together.
        seen = { auth: pair.auth.id, sign: pair.sign.id, state: (await trx.selectFrom('applications').select('state').where('id', '=', app.id).executeTakeFirstOrThrow()).state };
      },
    }));
    assert.deepEqual(seen, { auth: issued.auth.id, sign: issued.sign.id, state: 'completed' });
    assert.equal(await stateOf(app.id), 'completed');
    assert.deepEqual((await certificatesOf(app.id)).map((c) => c.kind).sort(), ['AUTH', 'SIGN']);
    const audit = await ctx.store.db.selectFrom('audit_log').select(['action', 'details']).where('action', '=', 'application.completed').where('target', '=', `application:${app.id}`).execute();
    assert.equal(audit.length, 1);
    assert.deepEqual((audit[0]!.details as { agentRequestId: string }).agentRequestId, 'r1');
    const forAgent = await issuedForAgent(ctx.store.db, { iin: app.iin, authCertificateId: issued.auth.id, signCertificateId: issued.sign.id, agentRequestId: 'r1' });
    const flat = (pem: string) => pem.replace(/\s+/g, '');
    assert.deepEqual(forAgent.certificates.map(flat), [issued.auth.pem, issued.sign.pem].map(flat));
    assert.equal(forAgent.chain.length, 2);
  });

  test('the same request again gets the same certificates; two at once get one pair; another request is refused', async () => {
    const app = await approved();
    let records = 0;
    const req = pairFor(app, 'r2', { auth: { csr: keys[2]!.pem, profile: 'individual-auth' }, sign: { csr: keys[3]!.pem, profile: 'individual-sign' }, record: async () => void records++ });
    const [first, second] = await Promise.all([issueForApplication(fx.ra, req), issueForApplication(fx.ra, req)]);
    assert.deepEqual([second.auth.id, second.sign.id], [first.auth.id, first.sign.id]);
    const third = await issueForApplication(fx.ra, req);
    assert.deepEqual([third.auth.id, third.sign.id], [first.auth.id, first.sign.id]);
    assert.equal(records, 1, 'the surface records the pair once');
    assert.equal((await certificatesOf(app.id)).length, 2);
    await assert.rejects(issueForApplication(fx.ra, { ...req, requestId: 'other' }), refused('QT_ERR_APPLICATION_NOT_APPROVED'));
    assert.equal((await certificatesOf(app.id)).length, 2);
  });

  const storedResponse = (c: CertificateRecord) =>
    ctx.store.db.selectFrom('ocsp_responses').select(['cert_status']).where('ca_id', '=', fx.caId).where('serial', '=', normalizeSerial(c.serial)).executeTakeFirst();
  /** Our responder's answer to a plain request for `c`, given as the HTTP front door gives it (its bytes as the cache key). */
  async function askOcsp(c: CertificateRecord) {
    const request = await buildOcspRequest(c.der, readFileSync(fx.issuingFile, 'utf8'));
    const key = `P${Buffer.from(request).toString('latin1')}`;
    const answer = await fx.status.responder.answer(request, { key });
    return { answer, fromMemory: fx.status.responder.cached(key) };
  }

  test('the pair is pre-signed after the commit, off the answer: once settled, both are answered "good" from the stored responses and then from memory', async () => {
    await fx.status.startOcspCache();
    const app = await approved();
    const pair = await issueForApplication(fx.ra, pairFor(app, 'r4', { auth: { csr: keys[4]!.pem, profile: 'individual-auth' }, sign: { csr: keys[5]!.pem, profile: 'individual-sign' } }));
    await fx.status.presigner.settled();
    for (const c of [pair.auth, pair.sign]) {
      assert.equal((await storedResponse(c))?.cert_status, 'good', `${c.kind} pre-signed`);
      const { answer, fromMemory } = await askOcsp(c);
      assert.equal(answer.outcome, 'presigned', 'no signature on the answer\'s path');
      assert.equal(parseOcspResponse(answer.der).basic?.responses[0]?.status, 'good');
      assert.equal(fromMemory?.outcome, 'cached', 'the next answer comes from memory');
    }
  });

  test('a process that died between the commit and the pre-signing leaves no response; the refresher fills the gap', async () => {
    // The same RA without its status hooks: the commit happens, the pre-signing never does.
    const dying = createRa(fx.ctx, { hooks: noStatusHooks });
    const app = await approved();
    const pair = await issueForApplication(dying, pairFor(app, 'r5', { auth: { csr: keys[6]!.pem, profile: 'individual-auth' }, sign: { csr: keys[7]!.pem, profile: 'individual-sign' } }));
    assert.equal(await storedResponse(pair.auth), undefined);
    assert.equal(await storedResponse(pair.sign), undefined);
    const refreshed = await fx.status.refreshOcsp({ missingAfterMs: 0 });
    assert.equal(refreshed.missing, 2);
    for (const c of [pair.auth, pair.sign]) {
      assert.equal((await storedResponse(c))?.cert_status, 'good', `${c.kind} filled by the refresher`);
      assert.equal((await askOcsp(c)).answer.outcome, 'presigned');
    }
    assert.equal((await fx.status.refreshOcsp({ missingAfterMs: 0 })).missing, 0, 'nothing is missing any more');
  });

  test('the surface\'s record in the statement that completes the application: failing, it leaves neither certificate; the answer carries the chain, as stored', async () => {
    const app = await approved();
    const over = { auth: { csr: keys[8]!.pem, profile: 'individual-auth' }, sign: { csr: keys[9]!.pem, profile: 'individual-sign' }, record: undefined };
    await assert.rejects(issueForApplication(fx.ra, pairFor(app, 'r6', { ...over, recordAlong: () => sql`DELETE FROM idempotency_keys WHERE key = (SELECT (1 / (count(*) - count(*)))::text FROM moved)` })));
    assert.equal(await stateOf(app.id), 'approved');
    assert.deepEqual(await certificatesOf(app.id), []);
    const pair = await issueForApplication(fx.ra, pairFor(app, 'r6', { ...over, recordAlong: () => sql`UPDATE idempotency_keys SET expires_at = expires_at FROM moved WHERE false` }));
    assert.equal(await stateOf(app.id), 'completed');
    assert.ok(pair.chain, 'signed just now: the chain comes with the pair');
    const stored = await issuedForAgent(ctx.store.db, { iin: app.iin, authCertificateId: pair.auth.id, signCertificateId: pair.sign.id, agentRequestId: 'r6' });
    assert.deepEqual(issuedForAgentFrom({ ...pair, chain: pair.chain }, app.iin, 'r6'), stored, 'the same answer as read back from the store');
    assert.throws(() => issuedForAgentFrom({ ...pair, chain: pair.chain! }, '000000000000', 'r6'), refused('QT_ERR_INTERNAL'));
    const replay = await issueForApplication(fx.ra, pairFor(app, 'r6', over));
    assert.equal(replay.chain, undefined, 'a replay is answered as stored');
  });

  test('an application that is not approved gets nothing', async () => {
    const app = await approved();
    await ctx.store.db.transaction().execute((trx) => moveApplication(trx, app.id, 'approved', 'cancelled', new Date(), { actor: 'system:test' }));
    await assert.rejects(issueForApplication(fx.ra, pairFor(app, 'r3')), refused('QT_ERR_APPLICATION_NOT_APPROVED'));
    assert.deepEqual(await certificatesOf(app.id), []);
  });
});
