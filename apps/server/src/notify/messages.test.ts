import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertCatalogComplete } from '@qoltanba/i18n/testing';
import { expiryReminderEmail, expiryReminderSms, formatSmsDate, notifyMessages, oneTimeCodeSms, type KeyKind, type SmsLanguage } from './messages.ts';
import { planSms } from './sms/segments.ts';

// 20:00 UTC on the 14th is already the 15th in Almaty (UTC+5): the date people see must be Almaty's.
const expiresAt = new Date('2026-03-14T20:00:00Z');
const reminder = (kind: KeyKind) => ({ kind, expiresAt, portalUrl: 'https://qoltanba.kz/' });

test('the notifier catalog is complete in kk, ru and en with matching placeholders', () => {
  assertCatalogComplete(notifyMessages);
});

test('SMS dates are dd.mm.yyyy in Almaty time', () => {
  assert.equal(formatSmsDate(expiresAt), '15.03.2026');
  assert.equal(formatSmsDate(new Date('2026-03-14T18:59:59Z')), '14.03.2026');
});

test('expiry reminder SMS: encoded length and part count of every variant (portal "qoltanba.kz")', () => {
  // [language, kind, UCS-2 code units or GSM septets, parts]
  const expected: [SmsLanguage, KeyKind, number, number][] = [
    ['kk', 'both', 89, 2],
    ['kk', 'sign', 105, 2],
    ['kk', 'auth', 102, 2],
    ['ru', 'both', 80, 2],
    ['ru', 'sign', 91, 2],
    ['ru', 'auth', 89, 2],
    ['en', 'both', 92, 1],
    ['en', 'sign', 99, 1],
    ['kk+ru', 'both', 125, 2],
    // One key only is the rare case (both keys are issued together); naming it in two languages takes a third part.
    ['kk+ru', 'sign', 171, 3],
    ['kk+ru', 'auth', 166, 3],
  ];
  for (const [language, kind, length, parts] of expected) {
    const text = expiryReminderSms(language, reminder(kind));
    const plan = planSms(text);
    assert.equal(plan.encoding, language === 'en' ? 'gsm7' : 'ucs2', `${language}/${kind}`);
    assert.deepEqual([plan.length, plan.parts.length], [length, parts], `${language}/${kind}: ${text}`);
    assert.match(text, /15\.03\.2026/);
    assert.match(text, /qoltanba\.kz$/);
    assert.doesNotMatch(text, /https?:|\{/);
  }
});

test('the reminders say the kind, the date, where to re-issue, in the product vocabulary', () => {
  assert.equal(expiryReminderSms('kk', reminder('both')), '15.03.2026 ЭЦҚ кілттерінің мерзімі аяқталады. Жеке кабинетте қайта шығарыңыз: qoltanba.kz');
  assert.equal(expiryReminderSms('ru', reminder('sign')), '15.03.2026 истекает срок ключа ЭЦП для подписи. Перевыпуск — в Личном кабинете: qoltanba.kz');
  assert.equal(
    expiryReminderSms('kk+ru', reminder('both')),
    '15.03.2026 ЭЦҚ мерзімі бітеді / истекает срок ЭЦП. Жеке кабинетте қайта шығарыңыз / перевыпуск в Личном кабинете: qoltanba.kz',
  );
});

test('one-time code SMS fit one part for every purpose and language, and declare the code as a secret', () => {
  for (const locale of ['kk', 'ru', 'en'] as const) {
    for (const purpose of ['login', 'reissue', 'application', 'revoke', 'phone'] as const) {
      const sms = oneTimeCodeSms(locale, { code: '123456', purpose, validMinutes: 10 });
      const plan = planSms(sms.text);
      assert.equal(plan.parts.length, 1, `${locale}/${purpose} (${plan.length}): ${sms.text}`);
      assert.ok(sms.text.startsWith(locale === 'en' ? 'Code: 123456' : 'Код: 123456'));
      assert.deepEqual(sms.secrets, ['123456']);
      assert.equal(sms.validForMinutes, 10);
    }
  }
  assert.equal(oneTimeCodeSms('ru', { code: '123456', purpose: 'login', validMinutes: 5 }).text, 'Код: 123456 на 5 мин. Никому не сообщайте. Вход в Личный кабинет.');
  assert.equal(oneTimeCodeSms('kk', { code: '123456', purpose: 'login', validMinutes: 5 }).text, 'Код: 123456, 5 минутқа. Ешкімге айтпаңыз. Жеке кабинетке кіру.');
});

test('with a WebOTP host the last line is "@host #code", and the text takes two parts', () => {
  const { text } = oneTimeCodeSms('kk', { code: '654321', purpose: 'login', validMinutes: 5, webOtpHost: 'qoltanba.kz' });
  assert.equal(text.split('\n').at(-1), '@qoltanba.kz #654321');
  assert.equal(planSms(text).parts.length, 2);
});

test('the expiry e-mail: subject and body per language, kk first when combined, HTML escaped', () => {
  const now = new Date('2026-02-13T06:00:00Z');
  const ru = expiryReminderEmail('ru', { ...reminder('both'), name: 'Айгерім' }, now);
  assert.equal(ru.subject, 'Срок действия ключей ЭЦП истекает 15 марта 2026 г.');
  assert.match(ru.text, /^Здравствуйте, Айгерім!/);
  assert.match(ru.text, /осталось 30 дней/);
  assert.match(ru.text, /Личном кабинете:\n\nhttps:\/\/qoltanba\.kz\//);
  const kk = expiryReminderEmail('kk', reminder('sign'), now);
  assert.match(kk.subject, /^Қол қоюға арналған ЭЦҚ кілтінің мерзімі .*2026.* аяқталады$/);
  assert.match(kk.text, /^Сәлеметсіз бе!/);
  assert.match(kk.text, /30 күн қалды/);
  const en = expiryReminderEmail('en', reminder('auth'), now);
  assert.equal(en.subject, 'Validity of your EDS sign-in key ends on 15 March 2026');
  const both = expiryReminderEmail('kk+ru', { ...reminder('both'), name: '<script>x</script>' }, now);
  assert.ok(both.subject.indexOf('ЭЦҚ') < both.subject.indexOf('ЭЦП'));
  assert.ok(both.text.indexOf('Сәлеметсіз') < both.text.indexOf('Здравствуйте'));
  assert.doesNotMatch(both.html, /<script>/);
  assert.match(both.html, /&lt;script&gt;/);
  assert.match(both.html, /<a href="https:\/\/qoltanba\.kz\/">/);
});
