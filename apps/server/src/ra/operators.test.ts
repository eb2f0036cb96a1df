/**
 * RA operators' certificates on both backends: only the administrators' path issues the restricted
 * ra-operator-auth profile — the RA's `issue`, the CA API and re-issuance refuse or ignore it — and what it
 * issues is linted, audited and good in OCSP; list and revoke see operators only.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { inspectCertificate, isQtError, oid, parseOcspResponse } from '@qoltanba/pki';
import { describeEachBackend } from '../store/testing/backends.ts';
import { apiApp, apiHarness, type ApiHarness } from '../api/testing/harness.ts';
import { currentPair } from '../portal/reissue/service.ts';
import type { PortalDeps } from '../portal/deps.ts';
import { createCitizen } from '../portal/testing/citizens.ts';
import { uniqueIin } from './testing/fixture.ts';
import { opensslCsr, opensslVerify } from './testing/openssl.ts';
import { issue } from './batch.ts';
import { issueRaOperator, listRaOperators, revokeRaOperator } from './operators.ts';
import { normalizeSerial } from './serial.ts';

describeEachBackend('RA operators', (ctx) => {
  let h: ApiHarness;
  after(async () => h?.close());
  const iin = uniqueIin();
  let serial = '';

  test("the operator profile is refused to the RA's plain issue and to the CA API (403 QT_ERR_PROFILE_RESTRICTED)", async () => {
    h = await apiHarness(ctx.store);
    const csr = await opensslCsr();
    const request = { csr: csr.pem, profile: 'ra-operator-auth', subject: { surname: 'Операторов', name: 'Самат', iin }, storage: 'file' as const, idempotencyKey: 'op-1', actor: 'token:x' };
    await assert.rejects(issue(h.fx.ra, request), (e) => isQtError(e, 'QT_ERR_PROFILE_RESTRICTED'));
    const app = await apiApp(h.fx.ra);
    try {
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/certificates',
        headers: { authorization: h.auth.issuer, 'content-type': 'application/json', 'idempotency-key': 'op-api' },
        payload: JSON.stringify({ csr: csr.pem, profile: 'ra-operator-auth', subject: { surname: 'Операторов', name: 'Самат', iin }, storage: 'file' }),
      });
      assert.equal(r.statusCode, 403, r.body);
      assert.equal(r.json().error.code, 'QT_ERR_PROFILE_RESTRICTED');
    } finally {
      await app.close();
    }
    assert.equal((await ctx.store.db.selectFrom('certificates').select('id').where('subject_iin', '=', iin).execute()).length, 0);
  });

  test('issueRaOperator: an AUTH certificate with the RA-operator role that OpenSSL verifies, good in OCSP, audited', async () => {
    const csr = await opensslCsr();
    const { certificate } = await issueRaOperator(h.fx.ra, { csr: csr.pem, subject: { surname: 'Операторов', name: 'Самат', iin }, storage: 'file', idempotencyKey: 'op-2', actor: 'operator:admin' });
    serial = certificate.serial;
    assert.equal(certificate.profile, 'ra-operator-auth');
    assert.equal(certificate.kind, 'AUTH');
    const verdict = await opensslVerify(certificate.pem, h.fx.rootFile, h.fx.issuingFile);
    assert.ok(verdict.ok, verdict.output);
    const row = await ctx.store.db.selectFrom('ocsp_responses').select('der').where('serial', '=', normalizeSerial(serial)).executeTakeFirstOrThrow();
    assert.equal(parseOcspResponse(row.der).basic?.responses[0]?.status, 'good');
    const audit = await ctx.store.db.selectFrom('audit_log').select(['actor', 'details']).where('action', '=', 'certificate.issued').where('target', '=', `certificate:${h.fx.caName}/${serial}`).executeTakeFirstOrThrow();
    assert.equal(audit.actor, 'operator:admin');
    assert.equal((audit.details as { profile: string }).profile, 'ra-operator-auth');
    const [listed] = await listRaOperators(h.fx.ra);
    assert.equal(listed?.serial, serial);
    assert.deepEqual(inspectCertificate(certificate.der).roles.map((r) => r.oid), [oid.roleIndividual, oid.roleRaOperator]);
  });

  test("re-issuance never takes the operator's certificate as the person's current AUTH key", async () => {
    const citizen = await createCitizen(h.fx.ra, { iin, surname: 'Операторов', name: 'Самат' });
    // A second operator certificate, issued after the personal pair: the newest AUTH of this IIN.
    const later = await issueRaOperator(h.fx.ra, { csr: (await opensslCsr()).pem, subject: { surname: 'Операторов', name: 'Самат', iin }, storage: 'file', idempotencyKey: 'op-3', actor: 'operator:admin' });
    assert.ok(later.certificate.notAfter >= citizen.auth.record.notAfter);
    const pair = await currentPair({ ctx: h.fx.ctx, ra: h.fx.ra } as unknown as PortalDeps, iin);
    assert.equal(pair?.auth.serial, citizen.auth.record.serial);
    assert.equal(pair?.auth.profile, 'individual-auth');
    assert.equal((await listRaOperators(h.fx.ra)).length, 2);
  });

  test("revokeRaOperator: a person's own certificate is not an operator's; the operator's is revoked (privilegeWithdrawn) and leaves the list", async () => {
    const own = await ctx.store.db.selectFrom('certificates').select('serial').where('subject_iin', '=', iin).where('profile', '=', 'individual-auth').executeTakeFirstOrThrow();
    await assert.rejects(revokeRaOperator(h.fx.ra, { serial: own.serial, actor: 'operator:admin' }), (e) => isQtError(e, 'QT_ERR_CERT_NOT_FOUND'));
    const r = await revokeRaOperator(h.fx.ra, { serial, actor: 'operator:admin' });
    assert.equal(r.certificate.revocationReason, 'privilegeWithdrawn');
    assert.deepEqual((await listRaOperators(h.fx.ra)).map((o) => o.serial).includes(serial), false);
    const all = await listRaOperators(h.fx.ra, { all: true });
    assert.deepEqual(all.map((o) => o.status).sort(), ['good', 'revoked']);
  });
});
