import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isQtError } from '@qoltanba/pki';
import { createMailer, createSmsGateway, hasReceipts, HttpSmsGateway, MailSink, oneTimeCodeSms, SmppSmsGateway, SmsSink, SmtpMailer } from './index.ts';
import { TestSmsc } from './testing/smsc.ts';

const configError = (field: string) => (e: unknown) => isQtError(e, 'QT_ERR_NOTIFY_CONFIG') && e.details?.field === field;
const quiet = { log: { info() {}, warn() {}, error() {} } };

test('each type builds its adapter; only SMPP reports receipts', async () => {
  const http = createSmsGateway({ type: 'http', url: 'https://sms.example.kz/send', token: 't' }, { production: true });
  assert.ok(http instanceof HttpSmsGateway);
  assert.equal(hasReceipts(http), false);
  const sink = createSmsGateway({ type: 'log' }, { production: false, ...quiet });
  assert.ok(sink instanceof SmsSink);
  assert.ok(createMailer({ type: 'smtp', host: 'mail.example.kz', from: 'noreply@qoltanba.kz' }) instanceof SmtpMailer);
  assert.ok(createMailer({ type: 'log' }, { production: false }) instanceof MailSink);
});

test('the development sinks are refused in production', () => {
  assert.throws(() => createSmsGateway({ type: 'log' }, { production: true }), configError('type'));
  assert.throws(() => createMailer({ type: 'log' }, { production: true }), configError('type'));
});

test('configuration mistakes name the field and never echo a secret', () => {
  assert.throws(() => createSmsGateway({ type: 'smpp', host: 'smsc', systemId: 'q', password: '', source: 'Qoltanba' }), configError('password'));
  assert.throws(() => createSmsGateway({ type: 'smpp', host: 'smsc', systemId: 'q', password: 'p', source: 'Qoltanba', window: 0 }), configError('window'));
  assert.throws(
    () => createSmsGateway({ type: 'smpp', host: 'smsc', systemId: 'q', password: 'p', source: 'A sender name too long' }),
    (e: unknown) => isQtError(e, 'QT_ERR_NOTIFY_CONFIG'),
  );
  assert.throws(() => createSmsGateway({ type: 'sms' } as never), configError('type'));
  assert.throws(
    () => createSmsGateway({ type: 'http', url: 'http://sms.example.kz/send', token: 'tok3n' }, { production: true }),
    (e: unknown) => configError('url')(e) && !JSON.stringify(e).includes('tok3n') && !(e as Error).message.includes('tok3n'),
  );
  assert.ok(createSmsGateway({ type: 'http', url: 'http://127.0.0.1:9000/send', token: 't' }, { production: true }));
  assert.throws(
    () => createMailer({ type: 'smtp', host: 'mail.example.kz', from: 'a@b.kz', security: 'none', auth: { user: 'u', pass: 'p' } }, { production: true }),
    configError('security'),
  );
  assert.throws(() => createMailer({ type: 'smtp', host: 'mail.example.kz', from: '' }), configError('from'));
});

test('a one-time code goes through a configured SMPP gateway with its validity, and is not logged', async () => {
  const smsc = await TestSmsc.start();
  const lines: string[] = [];
  const log = { info: (f: object, m: string) => lines.push(m + JSON.stringify(f)), warn() {}, error() {} };
  const gateway = createSmsGateway(
    { type: 'smpp', host: '127.0.0.1', port: smsc.port, systemId: 'qoltanba', password: 'secret', source: 'Qoltanba' },
    { production: true, log },
  );
  try {
    assert.ok(gateway instanceof SmppSmsGateway);
    const otp = oneTimeCodeSms('ru', { code: '731904', purpose: 'login', validMinutes: 5 });
    await gateway.send({ to: '+77011234567', ...otp, reference: 'otp-1' });
    const pdu = smsc.submits[0]!;
    assert.equal((pdu.short_message as { message: string }).message, otp.text);
    // node-smpp turns the relative "000000000500000R" it received back into a Date: five minutes from now.
    const expiresIn = (pdu.validity_period as Date).getTime() - Date.now();
    assert.ok(Math.abs(expiresIn - 5 * 60_000) < 5000, `validity ${expiresIn} ms`);
    assert.ok(lines.some((l) => l.startsWith('sms submitted')));
    assert.ok(lines.every((l) => !l.includes('731904') && !l.includes('secret') && !l.includes('7011234567')), lines.join('\n'));
  } finally {
    await gateway.close();
    await smsc.close();
  }
});
