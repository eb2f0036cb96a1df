import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openDatabase } from '@qoltanba/server';
import { runQoltanba } from '../testing/run.ts';
import { makeTestHome } from '../testing/home.ts';

const { home, passphraseFile } = makeTestHome('qt-cli-ca-');
after(() => rmSync(home, { recursive: true, force: true }));
const q = (...args: string[]) => runQoltanba(['--home', home, '--passphrase-file', passphraseFile, ...args]);

test('ca init runs the ceremony without prompts; the CA certificates verify with openssl; repeating changes nothing', async () => {
  const first = await q('ca', 'init', '--json');
  assert.equal(first.code, 0, first.stderr);
  const out = JSON.parse(first.stdout);
  assert.deepEqual(out.cas.map((c: { name: string; created: boolean }) => [c.name, c.created]), [['root-rsa', true], ['rsa', true]]);
  assert.equal(out.developmentPassphrase, undefined);
  assert.match(execFileSync('openssl', ['verify', '-CAfile', join(home, 'ca', 'root-rsa.crt'), join(home, 'ca', 'rsa.crt')]).toString(), /OK/);
  const again = JSON.parse((await q('ca', 'init', '--json')).stdout);
  assert.deepEqual(again.cas.map((c: { created: boolean }) => c.created), [false, false]);
  const list = await q('ca', 'list');
  assert.match(list.stdout, /rsa:\s+issuing, active/);
});

test('audit verify says INTACT, then names a row changed behind its back and exits 1', async () => {
  const ok = await q('audit', 'verify');
  assert.equal(ok.code, 0);
  assert.match(ok.stdout, /INTACT/);
  const store = await openDatabase({ dataDir: join(home, 'db') });
  try {
    await store.db.transaction().execute(async (trx) => {
      await sql`ALTER TABLE audit_log DISABLE TRIGGER USER`.execute(trx);
      await sql`UPDATE audit_log SET details = jsonb_set(details, '{keyUri}', '"soft:mallory"') WHERE seq = 2`.execute(trx);
      await sql`ALTER TABLE audit_log ENABLE TRIGGER USER`.execute(trx);
    });
  } finally {
    await store.close();
  }
  const bad = await q('audit', 'verify', '--json');
  assert.equal(bad.code, 1);
  const out = JSON.parse(bad.stdout);
  assert.equal(out.ok, false);
  assert.deepEqual(out.problems.map((p: { seq: string | number; kind: string }) => [Number(p.seq), p.kind]), [[2, 'changed']]);
});

test('audit verify --checkpoints: each line must be signed by the audit key the ceremony made; a file that cannot be read is QT_ERR_AUDIT_CHECKPOINTS_UNREADABLE', async () => {
  const file = join(home, 'copied-checkpoints.jsonl');
  const forged = { v: 1, seq: '3', hash: 'ab'.repeat(32), at: '2026-01-01T00:00:00.000Z', key: 'cd'.repeat(32), alg: '1.2.840.113549.1.1.11', sig: 'AAAA' };
  writeFileSync(file, `${JSON.stringify(forged)}\n`);
  const bad = await q('--json', 'audit', 'verify', '--checkpoints', file);
  assert.equal(bad.code, 1);
  const out = JSON.parse(bad.stdout);
  assert.equal(out.checkpointsFrom, file);
  assert.equal(out.checkpointKeyFrom, join(home, 'audit', 'checkpoint-key.pem'), 'the key the ceremony published in the data directory');
  assert.deepEqual(out.checkpoints, { verified: 0 });
  const named = out.problems.filter((p: { kind: string }) => p.kind === 'checkpoint');
  assert.equal(named.length, 1);
  assert.match(named[0].message, /checkpoint line 1 \(row 3\) is signed by another key/);

  const missing = await q('audit', 'verify', '--checkpoints', join(home, 'no-such-file.jsonl'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /QT_ERR_AUDIT_CHECKPOINTS_UNREADABLE/);
});
