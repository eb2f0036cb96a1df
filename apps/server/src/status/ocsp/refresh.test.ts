import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeSerial, verifyOcspResponse } from '@qoltanba/pki';
import { describeEachBackend } from '../../store/testing/backends.ts';
import { bulkSerial, createTestPki, insertRevokedBulk, setCertificateStatus, type TestPki } from '../testing/pki.ts';
import { startStatusServer, type StatusHarness } from '../testing/server.ts';

const HOUR = 3_600_000;

describeEachBackend('OCSP pre-signing and the refresher', (ctx) => {
  let pki: TestPki;
  let server: StatusHarness;
  const stored = (serial: string) =>
    ctx.store.db.selectFrom('ocsp_responses').selectAll().where('ca_id', '=', pki.ca.id).where('serial', '=', serial).executeTakeFirst();

  test('the status service starts on a test PKI', async () => {
    pki = await createTestPki(ctx.store);
    server = await startStatusServer(ctx.store, pki, { config: (c) => Object.assign(c.ocsp, { validityHours: 24, refreshBeforeHours: 8 }) });
  });
  after(async () => {
    await server?.close();
    await pki?.close();
  });

  test('presign stores one verifiable response per certificate, valid for validityHours, and skips serials never issued', async () => {
    const leaf = await pki.issueLeaf();
    assert.equal(await server.service.presign(pki.ca.id, [leaf.serial, 'abcdef0123']), 1);
    const row = await stored(leaf.serial);
    assert.equal(row?.cert_status, 'good');
    assert.equal(row?.signer_id, pki.ocsp.id);
    assert.equal(row!.next_update.getTime() - row!.this_update.getTime(), 24 * HOUR);
    const verdict = await verifyOcspResponse(row!.der, { issuer: pki.ca.der, at: new Date() });
    assert.equal(verdict.responses[0]?.status, 'good');
    assert.equal(verdict.responses[0]?.certId.serial, normalizeSerial(leaf.serial));
    assert.equal(await stored('abcdef0123'), undefined);
  });

  test('presignIssued: certificates issued together are all pre-signed "good"; one revoked before its batch is stored keeps no "good" response', async () => {
    const leaves = await Promise.all(Array.from({ length: 24 }, () => pki.issueLeaf()));
    const [revokedFirst, ...rest] = leaves;
    // Revoked between the issuance's commit and its pre-signing: the INSERT's check on the row must refuse it.
    await setCertificateStatus(ctx.store, pki.ca.id, revokedFirst!.serial, { status: 'revoked', reason: 1, at: new Date('2025-01-01T00:00:00Z') });
    await Promise.all(leaves.map((l) => server.service.presignIssued(pki.ca.id, l.serial)));
    assert.equal(await stored(revokedFirst!.serial), undefined);
    for (const leaf of rest) {
      const row = await stored(leaf.serial);
      assert.equal(row?.cert_status, 'good', leaf.serial);
      const verdict = await verifyOcspResponse(row!.der, { issuer: pki.ca.der, at: new Date() });
      assert.equal(verdict.responses[0]?.status, 'good');
      assert.equal(verdict.responses[0]?.certId.serial, normalizeSerial(leaf.serial));
    }
  });

  test('presignNow after a revocation makes the stored response say so at once', async () => {
    const leaf = await pki.issueLeaf();
    await server.service.presign(pki.ca.id, [leaf.serial]);
    await setCertificateStatus(ctx.store, pki.ca.id, leaf.serial, { status: 'revoked', reason: 3, at: new Date('2025-05-05T05:05:05Z') });
    await server.service.presignNow(pki.ca.id, leaf.serial);
    const row = await stored(leaf.serial);
    assert.equal(row?.cert_status, 'revoked');
    const [single] = (await verifyOcspResponse(row!.der, { issuer: pki.ca.der, at: new Date() })).responses;
    assert.deepEqual(single?.status === 'revoked' && [single.reason, single.revokedAt.toISOString()], ['affiliationChanged', '2025-05-05T05:05:05.000Z']);
  });

  test('a response signed from a row that changed meanwhile is not stored over the newer truth', async () => {
    const leaf = await pki.issueLeaf();
    await setCertificateStatus(ctx.store, pki.ca.id, leaf.serial, { status: 'revoked', reason: 1, at: new Date('2025-06-01T00:00:00Z') });
    await server.service.presignNow(pki.ca.id, leaf.serial);
    // A slow signer read the row while it was still good, and writes after the revocation committed.
    const key = await server.service.presigner.keyFor(await server.service.directory.byId(pki.ca.id));
    const late = await server.service.presigner.signAndStore(key, [{ serial: leaf.serial, status: 'good', revocation_reason: null, revoked_at: null }]);
    assert.equal(late.stored, 0);
    assert.equal((await stored(leaf.serial))?.cert_status, 'revoked');
  });

  test('the refresher re-signs a response whose status change was never pre-signed, and a reason raised to keyCompromise', async () => {
    const missed = await pki.issueLeaf();
    const raised = await pki.issueLeaf();
    await setCertificateStatus(ctx.store, pki.ca.id, raised.serial, { status: 'revoked', reason: 4, at: new Date('2025-07-01T00:00:00Z') });
    await server.service.presign(pki.ca.id, [missed.serial, raised.serial]);
    await setCertificateStatus(ctx.store, pki.ca.id, missed.serial, { status: 'on_hold', reason: 6, at: new Date('2025-07-02T00:00:00Z') });
    await setCertificateStatus(ctx.store, pki.ca.id, raised.serial, { status: 'revoked', reason: 1, at: new Date('2025-07-01T00:00:00Z') });
    const result = await server.service.refreshOcsp();
    assert.equal(result.changed, 2);
    assert.equal((await stored(missed.serial))?.cert_status, 'on_hold');
    const [single] = (await verifyOcspResponse((await stored(raised.serial))!.der, { issuer: pki.ca.der, at: new Date() })).responses;
    assert.equal(single?.status === 'revoked' && single.reason, 'keyCompromise');
    // Nothing left to fix: a second run changes nothing.
    assert.equal((await server.service.refreshOcsp()).changed, 0);
  });

  test('responses are re-signed in batches once nextUpdate is within refreshBeforeHours, not before', async () => {
    await insertRevokedBulk(ctx.store, pki.ca.id, 600, { good: true });
    const serials = Array.from({ length: 600 }, (_, i) => bulkSerial(i + 1));
    assert.equal(await server.service.presign(pki.ca.id, serials), 600);
    const total = Number((await ctx.store.db.selectFrom('ocsp_responses').select((e) => e.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

    // (A certificate an earlier test left without any response is filled too, and counted apart: `missing`.)
    const withoutMissing = ({ missing: _, ...rest }: Awaited<ReturnType<typeof server.service.refreshOcsp>>) => rest;
    server.clock.offset(15 * HOUR); // 9 hours left: not yet due
    assert.deepEqual(withoutMissing(await server.service.refreshOcsp({ batchSize: 250 })), { changed: 0, expiring: 0, more: false });

    server.clock.offset(17 * HOUR); // 7 hours left: every response is due
    try {
      const refreshed = await server.service.refreshOcsp({ batchSize: 250 });
      assert.equal(refreshed.expiring, total);
      const oldest = await ctx.store.db.selectFrom('ocsp_responses').select((e) => e.fn.min('this_update').as('t')).where('serial', 'in', serials).executeTakeFirstOrThrow();
      assert.ok(new Date(oldest.t as Date).getTime() >= Date.now() + 16 * HOUR);
      // A run out of time says there is more and leaves the rest for the next one.
      server.clock.offset(40 * HOUR);
      assert.deepEqual(await server.service.refreshOcsp({ batchSize: 250, budgetMs: 0 }), { changed: 0, missing: 0, expiring: 0, more: true });
    } finally {
      server.clock.offset(0);
    }
  });
});
