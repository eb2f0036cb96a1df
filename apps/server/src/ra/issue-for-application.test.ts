/**
 * An application's pair of certificates and its completion, on both backends: one transaction (the surface's
 * record failing leaves neither certificate and the application approved), idempotent per agent request, and
 * a second request for the same application gets the first one's answer or is refused — never a second pair.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isQtError } from '@qoltanba/pki';
import { describeEachBackend } from '../store/testing/backends.ts';
import { moveApplication } from './applications.ts';
import { issueForApplication, issuedForAgent, type ApplicationIssuance } from './issue-for-application.ts';
import { fileApplication } from './testing/applications.ts';
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
    keys = await Promise.all([opensslCsr(), opensslCsr(), opensslCsr(), opensslCsr()]);
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

  test('an application that is not approved gets nothing', async () => {
    const app = await approved();
    await ctx.store.db.transaction().execute((trx) => moveApplication(trx, app.id, 'approved', 'cancelled', new Date(), { actor: 'system:test' }));
    await assert.rejects(issueForApplication(fx.ra, pairFor(app, 'r3')), refused('QT_ERR_APPLICATION_NOT_APPROVED'));
    assert.deepEqual(await certificatesOf(app.id), []);
  });
});
