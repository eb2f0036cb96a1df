import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertCatalogComplete } from '@qoltanba/i18n/testing';
import { portalMessages, translatorFor } from './messages.ts';

test('every portal message exists in kk, ru and en with the same placeholders', () => {
  assertCatalogComplete(portalMessages);
});

test('the seed’s words are the product vocabulary in each language', () => {
  const expected = {
    ru: ['Обновить список ключей', 'Мои ключи ЭЦП', 'Перевыпуск ключей ЭЦП', 'Подать заявку', 'Загрузить сертификаты', 'Подписать', 'Отозвать'],
    kk: ['Кілттер тізімін жаңарту', 'Менің ЭЦҚ кілттерім', 'ЭЦҚ кілттерін қайта шығару', 'Өтінім беру', 'Сертификаттарды жүктеу', 'Қол қою', 'Кері қайтарып алу'],
    en: ['Refresh key list', 'My EDS keys', 'Re-issue EDS keys', 'Submit application', 'Download certificates', 'Sign', 'Revoke'],
  } as const;
  const keys = ['word.refreshKeys', 'word.myKeys', 'word.reissue', 'word.submitApplication', 'word.downloadCertificates', 'word.sign', 'word.revoke'];
  for (const locale of ['ru', 'kk', 'en'] as const) {
    assert.deepEqual(keys.map((k) => translatorFor(locale).t(k)), expected[locale]);
  }
});

test('plurals follow each language', () => {
  const ru = translatorFor('ru');
  assert.deepEqual([1, 2, 5, 11, 21, 22, 25].map((count) => ru.t('word.days', { count })), ['1 день', '2 дня', '5 дней', '11 дней', '21 день', '22 дня', '25 дней']);
  assert.deepEqual([1, 3, 5].map((count) => ru.t('common.attemptsLeft', { count })), ['Осталась 1 попытка.', 'Осталось 3 попытки.', 'Осталось 5 попыток.']);
  assert.deepEqual([1, 5].map((count) => translatorFor('kk').t('word.days', { count })), ['1 күн', '5 күн']);
  assert.deepEqual([1, 5].map((count) => translatorFor('en').t('common.minutes', { count })), ['1 minute', '5 minutes']);
  assert.deepEqual([1, 2, 5].map((count) => translatorFor('ru').t('keys.revokedNotice', { count })), ['Отозван 1 сертификат.', 'Отозвано 2 сертификата.', 'Отозвано 5 сертификатов.']);
});
