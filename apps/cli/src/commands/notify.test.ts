import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import smpp from 'smpp';
import { openDatabase, migrate } from '@qoltanba/server';
import { DAY_MS, insertCa, insertPair, insertPerson, testIins, ReceiptingSmsc, startTestSmtp } from '@qoltanba/server/testing';
import { runQoltanba } from '../testing/run.ts';

const home = mkdtempSync(join(tmpdir(), 'qt-cli-notify-'));
const env = { ...process.env, DATABASE_URL: '', NODE_ENV: 'test' };
const q = (...args: string[]) => runQoltanba(['--home', home, ...args], env);
const [known, other, rejected, unknown] = testIins(4, 31) as [string, string, string, string];
let smsc: ReceiptingSmsc;
const smtp = await startTestSmtp();
after(async () => {
  await smsc?.close();
  await smtp.close();
  rmSync(home, { recursive: true, force: true });
});

test('registry import names each bad row and imports nothing; then imports a clean file', async () => {
  delete process.env.DATABASE_URL;
  const store = await openDatabase({ dataDir: join(home, 'db') });
  try {
    await migrate(store.db);
    const ca = await insertCa(store.db);
    await insertPerson(store.db, known, { email: 'known@mail.kz' });
    await insertPerson(store.db, other);
    await insertPerson(store.db, rejected);
    for (const p of [known, other, rejected]) await insertPair(store.db, ca, p, new Date(Date.now() + 9 * DAY_MS));
  } finally {
    await store.close();
  }
  const bad = join(home, 'bad.csv');
  writeFileSync(bad, `iin;phone;verified\n${known};+77011112233;1\n${unknown};+77011112234;1\n${other};+7 812 555 12 12;1\n`);
  const refused = await q('registry', 'import', bad);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /line 3: QT_ERR_REGISTRY_IIN_UNKNOWN \(iin\)/);
  assert.match(refused.stderr, /line 4: QT_ERR_PHONE_INVALID \(phone\)/);
  assert.match(refused.stderr, /error QT_ERR_REGISTRY_IMPORT_REJECTED: .*2 of 3 rows are invalid; nothing was imported/);

  const good = join(home, 'good.csv');
  writeFileSync(good, `iin,phone,verified,verified_on\n${known},+77011112233,1,2024-01-02\n${other},87011112235,1,\n${rejected},+77019990001,1,\n`);
  const ok = await q('--json', 'registry', 'import', good);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.deepEqual((({ rows, written, invalid }) => ({ rows, written, invalid }))(JSON.parse(ok.stdout)), { rows: 3, written: 3, invalid: 0 });
});

test('notify run delivers through the configured SMSC and SMTP server; status counts; retry re-queues a dead letter', async () => {
  smsc = await ReceiptingSmsc.start({ statusFor: (d) => (d === '77019990001' ? (smpp.errors.ESME_RINVDSTADR as number) : undefined) });
  writeFileSync(
    join(home, 'server.json'),
    JSON.stringify({
      publicUrl: 'https://qoltanba.kz',
      notify: {
        sms: { type: 'smpp', host: '127.0.0.1', port: smsc.port, systemId: 'qoltanba', password: 'secret', source: 'Qoltanba' },
        mail: { type: 'smtp', host: '127.0.0.1', port: smtp.port, security: 'none', from: 'noreply@qoltanba.kz' },
      },
    }),
  );
  const run = await q('notify', 'run', '--wait-receipts', '1');
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /Due found:\s+SMS 6 reminders in 3 messages, e-mail 6 in 3/);
  assert.match(run.stdout, /Delivered:\s+3 sent, 0 to retry, 1 failed, 2 skipped \(of 6\)/);
  assert.deepEqual([...smsc.countsByDestination().keys()].sort(), ['77011112233', '77011112235', '77019990001']);
  assert.deepEqual(smtp.received.map((m) => m.to), [['known@mail.kz']]);

  const status = JSON.parse((await q('--json', 'notify', 'status')).stdout);
  assert.deepEqual(status.counts.sms, { pending: 0, sending: 0, unknown: 0, sent: 0, delivered: 2, undelivered: 0, failed: 1, skipped: 0 });
  assert.deepEqual(status.counts.email, { pending: 0, sending: 0, unknown: 0, sent: 1, delivered: 0, undelivered: 0, failed: 0, skipped: 2 });
  const dead = status.recentFailures[0];
  assert.match(dead.error, /ESME_RINVDSTADR/);
  const human = await q('notify', 'status');
  assert.match(human.stdout, /SMS:\s+pending 0, sending 0, unknown 0, sent 0, delivered 2, undelivered 0, failed 1, skipped 0/);
  assert.match(human.stdout, new RegExp(`failed #${dead.id}:\\s+sms to \\+7\\*+0001 after 1 attempt`));

  // A delivered SMS is not sent again by mistake, and an unknown id is named.
  const delivered = ['1', '2', '3'].find((id) => id !== String(dead.id))!;
  const wrong = await q('notify', 'retry', delivered);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, new RegExp(`QT_ERR_NOTIFY_NOT_RETRYABLE: Message ${delivered} is delivered`));
  assert.match((await q('notify', 'retry', '999999')).stderr, /QT_ERR_NOTIFY_MESSAGE_NOT_FOUND/);
  const retried = await q('--json', 'notify', 'retry', dead.id);
  assert.deepEqual(JSON.parse(retried.stdout), { retried: [dead.id] });
  const again = await q('notify', 'run', '--no-scan');
  assert.match(again.stdout, /Delivered:\s+0 sent, 0 to retry, 1 failed/);
  assert.equal(smsc.countsByDestination().get('77019990001'), 2);
});
