import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { isQtError } from '@qoltanba/pki';
import { describeEachBackend } from '../store/testing/backends.ts';
import { verifyAudit } from '../audit/index.ts';
import { authenticateApiToken, createApiToken, listApiTokens, revokeApiToken } from './tokens.ts';

const rejects = (code: string) => (e: unknown) => {
  assert.ok(isQtError(e), String(e));
  assert.equal(e.code, code, e.message);
  return true;
};

describeEachBackend('CA API tokens', (ctx) => {
  test('a token is shown once, stored only as the SHA-256 of its secret, and authenticates with its scopes', async () => {
    const created = await createApiToken(ctx.store.db, { name: 'ra-almaty', scopes: ['issue', 'read', 'issue'], actor: 'operator:admin' });
    assert.match(created.token, /^qt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(created.scopes, ['issue', 'read']);
    const secret = created.token.split('_').slice(2).join('_');
    const row = await ctx.store.db.withTables<{ api_tokens: { id: string; secret_sha256: Buffer } }>().selectFrom('api_tokens').selectAll().executeTakeFirstOrThrow();
    assert.deepEqual(row.secret_sha256, createHash('sha256').update(secret).digest());
    // The secret is nowhere in the database: not in the token table, not in the audit log.
    const everything = JSON.stringify(await ctx.store.db.withTables<{ api_tokens: object }>().selectFrom('api_tokens').selectAll().execute()) + JSON.stringify(await ctx.store.db.selectFrom('audit_log').selectAll().execute());
    assert.ok(!everything.includes(secret));
    assert.ok(!JSON.stringify(await listApiTokens(ctx.store.db)).includes(secret));

    const p = await authenticateApiToken(ctx.store.db, `Bearer ${created.token}`, new Date());
    assert.deepEqual([p.name, p.actor, [...p.scopes]], ['ra-almaty', 'token:ra-almaty', ['issue', 'read']]);
    const audit = await ctx.store.db.selectFrom('audit_log').select(['actor', 'action', 'target']).where('action', '=', 'api-token.created').executeTakeFirstOrThrow();
    assert.deepEqual(audit, { actor: 'operator:admin', action: 'api-token.created', target: 'api-token:ra-almaty' });
  });

  test('wrong, malformed, revoked and expired tokens are all just QT_ERR_UNAUTHENTICATED', async () => {
    const t = await createApiToken(ctx.store.db, { name: 'short-lived', scopes: ['read'], expiresAt: new Date(Date.now() + 60_000), actor: 'operator:admin' });
    const wrong = t.token.slice(0, -1) + (t.token.endsWith('A') ? 'B' : 'A');
    for (const header of [undefined, '', 'Bearer', `Basic ${t.token}`, `Bearer ${wrong}`, `Bearer ${t.token}x`, `Bearer qt_ffffffffffffffff_${'x'.repeat(43)}`]) {
      await assert.rejects(authenticateApiToken(ctx.store.db, header, new Date()), rejects('QT_ERR_UNAUTHENTICATED'), String(header));
    }
    await assert.rejects(authenticateApiToken(ctx.store.db, `Bearer ${t.token}`, new Date(Date.now() + 120_000)), rejects('QT_ERR_UNAUTHENTICATED'));
    assert.equal((await authenticateApiToken(ctx.store.db, `bearer  ${t.token}`, new Date())).name, 'short-lived');
    await revokeApiToken(ctx.store.db, { name: 'short-lived', actor: 'operator:admin' });
    await assert.rejects(authenticateApiToken(ctx.store.db, `Bearer ${t.token}`, new Date()), rejects('QT_ERR_UNAUTHENTICATED'));
    await assert.rejects(revokeApiToken(ctx.store.db, { name: 'short-lived', actor: 'operator:admin' }), rejects('QT_ERR_API_TOKEN_NOT_FOUND'));
  });

  test('names are never reused, and names, scopes and expiry are checked', async () => {
    await assert.rejects(createApiToken(ctx.store.db, { name: 'short-lived', scopes: ['read'], actor: 'operator:admin' }), rejects('QT_ERR_API_TOKEN_EXISTS'));
    await assert.rejects(createApiToken(ctx.store.db, { name: 'Bad Name', scopes: ['read'], actor: 'operator:admin' }), rejects('QT_ERR_INPUT_INVALID'));
    await assert.rejects(createApiToken(ctx.store.db, { name: 'ok', scopes: ['admin'], actor: 'operator:admin' }), rejects('QT_ERR_INPUT_INVALID'));
    await assert.rejects(createApiToken(ctx.store.db, { name: 'ok', scopes: [], actor: 'operator:admin' }), rejects('QT_ERR_INPUT_INVALID'));
    await assert.rejects(createApiToken(ctx.store.db, { name: 'ok', scopes: ['read'], expiresAt: new Date(Date.now() - 1000), actor: 'operator:admin' }), rejects('QT_ERR_INPUT_INVALID'));
    const actions = (await ctx.store.db.selectFrom('audit_log').select('action').orderBy('seq').execute()).map((r) => r.action);
    assert.deepEqual(actions, ['api-token.created', 'api-token.created', 'api-token.revoked']);
    assert.equal((await verifyAudit(ctx.store.db)).ok, true);
  });
});
