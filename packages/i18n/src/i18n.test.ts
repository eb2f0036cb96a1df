import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTranslator, formatDate, formatDateTime, formatNumber, negotiateLocale, normalizeLocale, words } from './index.ts';
import { assertCatalogComplete } from './testing/index.ts';

test('the vocabulary exists in kk, ru and en with the same placeholders', () => {
  assertCatalogComplete(words);
});

test('the seed document\'s step names are the Russian words', () => {
  const ru = createTranslator(words, 'ru');
  assert.equal(ru.t('word.refreshKeys'), 'Обновить список ключей');
  assert.equal(ru.t('word.myKeys'), 'Мои ключи ЭЦП');
  assert.equal(ru.t('word.reissue'), 'Перевыпуск ключей ЭЦП');
  assert.equal(ru.t('word.submitApplication'), 'Подать заявку');
  assert.equal(ru.t('word.downloadCertificates'), 'Загрузить сертификаты');
});

test('plurals follow each language (Russian one/few/many)', () => {
  const ru = createTranslator(words, 'ru');
  assert.deepEqual([1, 2, 5, 11, 21, 22, 25].map((count) => ru.t('word.days', { count })), [
    '1 день', '2 дня', '5 дней', '11 дней', '21 день', '22 дня', '25 дней',
  ]);
  assert.equal(createTranslator(words, 'kk').t('word.days', { count: 5 }), '5 күн');
  assert.equal(createTranslator(words, 'en').t('word.days', { count: 1 }), '1 day');
});

test('dates are written the way each language writes them, in Almaty time', () => {
  const d = new Date('2026-11-23T20:30:00Z'); // already 24 November in Almaty
  assert.equal(formatDate('ru', d), '24 ноября 2026 г.');
  assert.equal(formatDate('kk', d), '2026 ж. 24 қараша');
  assert.equal(formatDate('en', d), '24 November 2026');
});

test('formatters made once per language and style still write each language and style its own way', () => {
  const d = new Date('2026-11-23T20:30:00Z');
  for (let i = 0; i < 2; i++) {
    assert.equal(formatDate('ru', d), '24 ноября 2026 г.');
    assert.equal(formatDate('en', d, 'short'), '24/11/2026');
    assert.equal(formatDate('en', d), '24 November 2026');
    assert.match(formatDateTime('ru', d), /^24 нояб\. 2026 г\., 01:30$/);
    assert.match(formatDateTime('en', d), /^24 Nov 2026, 01:30$/);
    assert.match(formatNumber('ru', 1234567), /^1\s234\s567$/);
    assert.equal(formatNumber('en', 1234567), '1,234,567');
  }
});

test('locale names from NCALayer and browsers are understood', () => {
  assert.equal(normalizeLocale('kz'), 'kk');
  assert.equal(normalizeLocale('ru-RU'), 'ru');
  assert.equal(normalizeLocale('de'), undefined);
  assert.equal(negotiateLocale('de-DE,kk;q=0.8,ru;q=0.9'), 'ru');
  assert.equal(negotiateLocale('de-DE,kk;q=0.95,ru;q=0.9'), 'kk');
  assert.equal(negotiateLocale(undefined), 'ru');
});

test('a missing key shows itself instead of crashing', () => {
  assert.equal(createTranslator(words, 'en').t('no.such.key'), 'no.such.key');
});
