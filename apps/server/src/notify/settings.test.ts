import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isQtError } from '@qoltanba/pki';
import { resolveNotifySettings, type NotifySettingsInput } from './settings.ts';

const at = { publicUrl: 'https://qoltanba.kz' };

test('defaults: SMS 10 days, e-mail 30/14/7, Almaty at 10:00, the log sinks outside production, the public URL as portal', () => {
  const s = resolveNotifySettings(undefined, { ...at, env: {} });
  assert.deepEqual([s.smsThresholdsDays, s.emailThresholdsDays, s.timeZone, s.sendFromHour, s.portalUrl], [[10], [30, 14, 7], 'Asia/Almaty', 10, 'https://qoltanba.kz']);
  assert.deepEqual([s.sms?.type, s.mail?.type], ['log', 'log']);
  assert.equal(s.uncorrelatedSends, 'at-least-once');
});

test('production has no default transport: nothing is "sent" into a log', () => {
  const s = resolveNotifySettings({}, { ...at, env: { NODE_ENV: 'production' } });
  assert.deepEqual([s.sms, s.mail], [undefined, undefined]);
});

test('passwords come from the environment, not server.json', () => {
  const s = resolveNotifySettings(
    {
      sms: { type: 'smpp', host: 'smsc', systemId: 'q', password: 'from-file', source: 'Qoltanba' },
      mail: { type: 'smtp', host: 'mx', from: 'a@b.kz', auth: { user: 'u', pass: 'from-file' } },
    },
    { ...at, env: { QOLTANBA_SMPP_PASSWORD: 'smpp-env', QOLTANBA_SMTP_PASSWORD: 'smtp-env' } },
  );
  assert.equal(s.sms?.type === 'smpp' && s.sms.password, 'smpp-env');
  assert.equal(s.mail?.type === 'smtp' && s.mail.auth?.pass, 'smtp-env');
});

test('thresholds are sorted and de-duplicated; nonsense is refused naming the field', () => {
  assert.deepEqual(resolveNotifySettings({ emailThresholdsDays: [7, 30, 7, 14] }, { ...at, env: {} }).emailThresholdsDays, [30, 14, 7]);
  for (const [input, field] of [
    [{ smsThresholdsDays: [-1] }, 'smsThresholdsDays'],
    [{ sendFromHour: 24 }, 'sendFromHour'],
    [{ timeZone: 'Mars/Olympus' }, 'timeZone'],
    [{ retry: { maxAttempts: 0 } }, 'retry.maxAttempts'],
    [{ uncorrelatedSends: 'exactly-once' as 'at-most-once' }, 'uncorrelatedSends'],
  ] as Array<[NotifySettingsInput, string]>) {
    assert.throws(() => resolveNotifySettings(input, { ...at, env: {} }), (e) => isQtError(e, 'QT_ERR_NOTIFY_CONFIG') && e.details?.field === field);
  }
});
