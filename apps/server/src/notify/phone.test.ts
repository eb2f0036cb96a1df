import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isQtError } from '@qoltanba/pki';
import { maskPhone, normalizeKzPhone } from './phone.ts';

test('the usual ways of writing a Kazakhstan mobile number all normalise to +77…', () => {
  for (const input of ['+77011234567', '+7 701 123 45 67', '8 (701) 123-45-67', '87011234567', '77011234567', '7011234567', '+7.701.123.45.67']) {
    assert.equal(normalizeKzPhone(input), '+77011234567', input);
  }
  assert.equal(normalizeKzPhone('8 747 000 11 22'), '+77470001122');
  assert.equal(normalizeKzPhone('+7 778 555 44 33'), '+77785554433');
});

test('Russian numbers, Kazakh landlines, other countries and junk are QT_ERR_PHONE_INVALID (permanent)', () => {
  for (const input of ['+74951234567', '89161234567', '+77172123456', '87272501234', '+998901234567', '+7701123456', '+770112345678', '', 'abc', '+7 701 123 45 6x']) {
    assert.throws(
      () => normalizeKzPhone(input),
      (e: unknown) => isQtError(e, 'QT_ERR_PHONE_INVALID') && e.details?.permanent === true,
      input,
    );
  }
});

test('a masked number keeps only the country prefix and the last four digits', () => {
  assert.equal(maskPhone('+77011234567'), '+7******4567');
  assert.equal(maskPhone('77011234567'), '*******4567');
});
