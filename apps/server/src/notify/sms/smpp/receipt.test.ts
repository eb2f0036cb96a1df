import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDeliveryReceipt } from './receipt.ts';

test('the SMPP 3.4 Appendix B receipt text is parsed, dates read in SMSC local time', () => {
  const r = parseDeliveryReceipt({
    esm_class: 0x04,
    source_addr: '77011234567',
    short_message: { message: 'id:0A1B2C sub:001 dlvrd:000 submit date:2603151200 done date:260315120530 stat:UNDELIV err:034 text:Код' },
  });
  assert.deepEqual(r, {
    messageId: '0A1B2C',
    state: 'UNDELIV',
    final: true,
    errorCode: '034',
    recipient: '77011234567',
    doneAt: new Date('2026-03-15T07:05:30Z'),
    submittedAt: new Date('2026-03-15T07:00:00Z'),
  });
  const utc = parseDeliveryReceipt({ esm_class: 0x04, short_message: 'id:7 stat:EXPIRED err:0 done date:2603151200' }, { smscUtcOffsetMinutes: 0 });
  assert.equal(utc?.doneAt?.toISOString(), '2026-03-15T12:00:00.000Z');
  assert.equal(utc?.state, 'EXPIRED');
});

test('receipted_message_id and message_state TLVs win over the text; network_error_code is read when err: is absent', () => {
  const r = parseDeliveryReceipt({
    esm_class: 0x04,
    receipted_message_id: 'abc',
    message_state: 8,
    network_error_code: Buffer.from([3, 0x00, 0x22]),
    short_message: { message: 'id:zzz stat:DELIVRD' },
  });
  assert.equal(r?.messageId, 'abc');
  assert.equal(r?.state, 'REJECTD');
  assert.equal(r?.errorCode, '34');
  assert.equal(r?.reference, undefined);
});

test('the user_message_reference an SMSC echoes in a receipt names the send it is about', () => {
  const r = parseDeliveryReceipt({ esm_class: 0x04, receipted_message_id: 'abc', message_state: 2, user_message_reference: 0, short_message: '' });
  assert.equal(r?.reference, 0);
  assert.equal(parseDeliveryReceipt({ esm_class: 0x04, receipted_message_id: 'abc', user_message_reference: 65535, short_message: '' })?.reference, 65535);
});

test('intermediate states are not final; unknown words become UNKNOWN; non-receipts are not receipts', () => {
  assert.equal(parseDeliveryReceipt({ esm_class: 0x04, short_message: 'id:1 stat:ENROUTE' })?.final, false);
  assert.equal(parseDeliveryReceipt({ esm_class: 0x04, short_message: 'id:1 stat:WHATEVER' })?.state, 'UNKNOWN');
  assert.equal(parseDeliveryReceipt({ esm_class: 0x00, short_message: 'id:1 stat:DELIVRD' }), undefined);
  assert.equal(parseDeliveryReceipt({ esm_class: 0x04, short_message: 'stat:DELIVRD' }), undefined);
});
