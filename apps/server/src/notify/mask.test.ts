import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maskSecrets } from './mask.ts';

test('declared secrets and undeclared code-like digit runs are masked; dates and phone numbers stay readable', () => {
  assert.equal(maskSecrets('Код: 123456. Никому не сообщайте.'), 'Код: ••••••. Никому не сообщайте.');
  assert.equal(maskSecrets('PIN 4821 for you', ['4821']), 'PIN •••• for you');
  assert.equal(maskSecrets('Мерзімі 15.03.2026 аяқталады, +77011234567'), 'Мерзімі 15.03.2026 аяқталады, +77011234567');
  assert.equal(maskSecrets('code:98765432 and 12345'), 'code:•••••••• and •••••');
});
