import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isQtError } from '@qoltanba/pki';
import { concatenationUdh, countSmsParts, isGsm7, planSms } from './segments.ts';

test('Kazakh and Russian letters are never GSM-7; plain Latin is', () => {
  for (const ch of 'әғқңөұүһіӘҒҚҢӨҰҮҺІаяЁ') assert.equal(isGsm7(`Code ${ch}`), false, ch);
  assert.equal(isGsm7('Qoltanba: your code is 123456 @ £ € [x]'), true);
});

test('GSM-7 fits 160 septets in one SMS and 153 per part; extension characters cost two', () => {
  assert.equal(planSms('a'.repeat(160)).parts.length, 1);
  assert.equal(planSms('a'.repeat(161)).parts.length, 2);
  assert.deepEqual(planSms('a'.repeat(306)).parts.map((p) => p.length), [153, 153]);
  const euros = planSms('€'.repeat(80));
  assert.equal(euros.length, 160);
  assert.equal(euros.parts.length, 1);
  assert.deepEqual([...euros.parts[0]!.subarray(0, 2)], [0x1b, 0x65]);
  // 77 euros in a part would be 154 septets: the escape pair is never split, so a part holds 76 (152 septets).
  assert.deepEqual(planSms('€'.repeat(81)).parts.map((p) => p.length), [152, 10]);
});

test('UCS-2 fits 70 characters in one SMS and 67 per part, big-endian, never splitting a surrogate pair', () => {
  const one = planSms('қ'.repeat(70));
  assert.equal(one.dataCoding, 8);
  assert.equal(one.parts.length, 1);
  assert.deepEqual([...one.parts[0]!.subarray(0, 2)], [0x04, 0x9b]); // U+049B қ
  assert.deepEqual(planSms('қ'.repeat(71)).parts.map((p) => p.length / 2), [67, 4]);
  const withEmoji = planSms('қ'.repeat(66) + '😀' + 'қ'.repeat(5));
  assert.deepEqual(withEmoji.parts.map((p) => p.length / 2), [66, 7]);
  assert.equal(countSmsParts('ә'.repeat(300)), 5);
});

test('a text longer than maxParts is QT_ERR_SMS_TOO_LONG (permanent)', () => {
  assert.throws(() => planSms('ә'.repeat(68 * 3), 3), (e: unknown) => isQtError(e, 'QT_ERR_SMS_TOO_LONG') && e.details?.permanent === true);
});

test('the concatenation UDH is IEI 0x00 with an 8-bit reference', () => {
  assert.deepEqual([...concatenationUdh(0x1a7, 5, 2)], [0x05, 0x00, 0x03, 0xa7, 5, 2]);
});
