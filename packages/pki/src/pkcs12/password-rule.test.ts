import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isQtError } from '@qoltanba/errors';
import { assertKeyPassword, checkKeyPassword } from './password-rule.ts';

test("NCA's own test passwords and typical good ones pass the national rule", () => {
  for (const password of ['Qwerty12', 'Aa123456', 'aB3dEf', 'Str0ng!Pass#word']) {
    assert.deepEqual(checkKeyPassword(password), { ok: true, failed: [] }, password);
    assert.doesNotThrow(() => assertKeyPassword(password));
  }
});

test('each missing part of the rule is named, all at once', () => {
  assert.deepEqual(checkKeyPassword('Aa1').failed, ['length']);
  assert.deepEqual(checkKeyPassword('QWERTY12').failed, ['lower']);
  assert.deepEqual(checkKeyPassword('qwerty12').failed, ['upper']);
  assert.deepEqual(checkKeyPassword('Qwertyui').failed, ['digit']);
  assert.deepEqual(checkKeyPassword('').failed, ['length', 'lower', 'upper', 'digit']);
  assert.deepEqual(checkKeyPassword(`Aa1${'x'.repeat(200)}`).failed, ['maxLength']);
});

test('letters outside Latin, spaces and control characters are refused, so a password types the same on any layout', () => {
  assert.deepEqual(checkKeyPassword('Qwerty12ә').failed, ['characters']);
  assert.deepEqual(checkKeyPassword('Пароль12Aa').failed, ['characters']);
  assert.deepEqual(checkKeyPassword('Qwerty 12').failed, ['characters']);
  assert.deepEqual(checkKeyPassword('Qwerty12\n').failed, ['characters']);
  // Cyrillic capitals do not count as the upper-case Latin letter.
  assert.deepEqual(checkKeyPassword('qwerty12Ж').failed, ['upper', 'characters']);
});

test('the assert variant throws QT_ERR_PASSWORD_RULE with the failed parts in its details', () => {
  assert.throws(
    () => assertKeyPassword('qwerty'),
    (e) => isQtError(e, 'QT_ERR_PASSWORD_RULE') && JSON.stringify(e.details) === JSON.stringify({ failed: ['upper', 'digit'] }),
  );
});
