import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { isQtError, type QtError } from '@qoltanba/pki';
import { expiryReminderEmail } from '../messages.ts';
import { SmtpMailer, type SmtpConfig } from './smtp-mailer.ts';
import { bodyOf, parseMime } from '../testing/mime.ts';

interface Received {
  from: string;
  to: string[];
  raw: string;
  secure: boolean;
  user: string | undefined;
}

let received: Received[] = [];
/** RCPT TO replies by address: a real server's 550 "no such user" or 451 "try later". */
const rcptReplies = new Map<string, number>();
let server: SMTPServer;
let port: number;

before(async () => {
  server = new SMTPServer({
    // The built-in self-signed certificate serves STARTTLS; the client is told not to verify it.
    authOptional: false,
    allowInsecureAuth: false,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'notify' && auth.password === 'mail-secret') cb(null, { user: auth.username });
      else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, cb) {
      const code = rcptReplies.get(address.address);
      if (code) cb(Object.assign(new Error(code >= 500 ? 'No such user here' : 'Try again later'), { responseCode: code }));
      else cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('latin1'),
          secure: session.secure,
          user: session.user as string | undefined,
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as AddressInfo).port;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  received = [];
  rcptReplies.clear();
});

function mailer(overrides: Partial<SmtpConfig> = {}) {
  return new SmtpMailer({
    type: 'smtp',
    host: '127.0.0.1',
    port,
    security: 'starttls',
    rejectUnauthorized: false,
    auth: { user: 'notify', pass: 'mail-secret' },
    from: '"Qoltanba" <noreply@qoltanba.kz>',
    timeoutMs: 3000,
    ...overrides,
  });
}

async function failure(p: Promise<unknown>): Promise<QtError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isQtError(e), String(e));
    return e;
  }
  return assert.fail('expected a failure');
}

describe('SMTP mailer against a real SMTP server', () => {
  test('the message arrives over STARTTLS, logged in, to the right recipient, with subject and UTF-8 bodies intact', async () => {
    const m = mailer();
    const subject = 'ЭЦҚ кілттерінің мерзімі аяқталады / Срок ключей ЭЦП истекает';
    const text = 'Құрметті Сіз, ЭЦҚ кілттеріңіздің мерзімі 15.03.2026 аяқталады: әғқңөұүһі.\nСрок действия ключей ЭЦП истекает 15.03.2026. Ёжик.';
    const html = '<p>Жеке кабинет — Личный кабинет</p>';
    const r = await m.send({ to: 'aigerim@example.kz', subject, text, html, reference: 'outbox-9' });
    await m.close();
    assert.equal(received.length, 1);
    const got = received[0]!;
    assert.deepEqual(got.to, ['aigerim@example.kz']);
    assert.equal(got.from, 'noreply@qoltanba.kz');
    assert.equal(got.secure, true);
    assert.equal(got.user, 'notify');
    const mime = parseMime(got.raw);
    assert.equal(mime.headers.get('subject'), subject);
    assert.equal(mime.headers.get('to'), 'aigerim@example.kz');
    assert.equal(mime.headers.get('x-qoltanba-reference'), 'outbox-9');
    assert.equal(mime.headers.get('message-id'), r.messageId);
    assert.equal(bodyOf(mime, 'text/plain')?.replace(/\r\n/g, '\n'), text);
    assert.equal(bodyOf(mime, 'text/html')?.replace(/\r\n/g, '\n'), html);
    assert.match(r.response, /^250/);
  });

  test('the combined kk+ru expiry reminder arrives with subject, text and HTML exactly as composed', async () => {
    const m = mailer();
    const mail = expiryReminderEmail('kk+ru', { kind: 'both', expiresAt: new Date('2026-03-14T20:00:00Z'), portalUrl: 'https://qoltanba.kz', name: 'Әлия Қасымқызы' });
    await m.send({ to: 'aliya@example.kz', ...mail });
    await m.close();
    const mime = parseMime(received[0]!.raw);
    assert.equal(mime.headers.get('subject'), mail.subject);
    assert.equal(bodyOf(mime, 'text/plain')?.replace(/\r\n/g, '\n'), mail.text);
    assert.equal(bodyOf(mime, 'text/html'), mail.html);
  });

  test('a 550 for the recipient is a permanent rejection with the reply code', async () => {
    rcptReplies.set('nobody@example.kz', 550);
    const e = await failure(mailer().send({ to: 'nobody@example.kz', subject: 's', text: 't' }));
    assert.equal(e.code, 'QT_ERR_EMAIL_REJECTED');
    assert.equal(e.details?.permanent, true);
    assert.equal(e.details?.responseCode, 550);
    assert.equal(received.length, 0);
  });

  test('a 451 is transient', async () => {
    rcptReplies.set('later@example.kz', 451);
    const e = await failure(mailer().send({ to: 'later@example.kz', subject: 's', text: 't' }));
    assert.equal(e.code, 'QT_ERR_EMAIL_UNAVAILABLE');
    assert.equal(e.details?.permanent, false);
    assert.equal(e.details?.responseCode, 451);
  });

  test('a wrong SMTP password is a transient credentials failure that does not reveal the password', async () => {
    const e = await failure(mailer({ auth: { user: 'notify', pass: 'nope-nope' } }).send({ to: 'a@example.kz', subject: 's', text: 't' }));
    assert.equal(e.code, 'QT_ERR_EMAIL_UNAVAILABLE');
    assert.equal(e.details?.reason, 'credentials');
    assert.equal(e.details?.permanent, false);
    assert.doesNotMatch(JSON.stringify(e) + e.message, /nope-nope/);
  });

  test('no server listening is transient; a bad address never reaches the server', async () => {
    const e = await failure(mailer({ port: 1 }).send({ to: 'a@example.kz', subject: 's', text: 't' }));
    assert.equal(e.code, 'QT_ERR_EMAIL_UNAVAILABLE');
    assert.equal(e.details?.permanent, false);
    const bad = await failure(mailer().send({ to: 'not an address', subject: 's', text: 't' }));
    assert.equal(bad.code, 'QT_ERR_EMAIL_INVALID');
    assert.equal(bad.details?.permanent, true);
  });

  test('certificate verification is on by default: the self-signed test certificate is refused (transient)', async () => {
    const e = await failure(mailer({ rejectUnauthorized: undefined }).send({ to: 'a@example.kz', subject: 's', text: 't' }));
    assert.equal(e.code, 'QT_ERR_EMAIL_UNAVAILABLE');
    assert.equal(received.length, 0);
  });
});
