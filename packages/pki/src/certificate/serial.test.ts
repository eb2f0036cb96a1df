import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isQtError } from '@qoltanba/errors';
import { formatSerial, parseSerial } from './serial.ts';

test('a serial is spelled as openssl prints it: upper-case hex of its bytes, a leading zero digit kept, no sign byte', () => {
  assert.equal(formatSerial(new Uint8Array([0x0c, 0xf2, 0x83, 0xbc])), '0CF283BC');
  assert.equal(formatSerial(new Uint8Array([0x00, 0x8a, 0x01])), '8A01', 'the DER sign byte is not part of the number');
  assert.equal(formatSerial('cf283bc'), '0CF283BC', 'the table spelling (no leading zero digit) gets its digit back');
  assert.equal(formatSerial(new Uint8Array([0])), '00', "another CA's zero serial is still shown");
  assert.equal(formatSerial('0'), '00');
});

test('typed serials are read in any case, with colons, spaces or extra leading zeros', () => {
  for (const typed of ['0CF283BC', '0cf283bc', 'cf283bc', '0c:f2:83:bc', ' 0C F2 83 BC ', '000000cf283bc']) {
    assert.equal(parseSerial(typed), '0CF283BC', typed);
  }
});

test('what is not a positive hex number of at most 20 bytes is QT_ERR_INPUT_INVALID', () => {
  for (const bad of ['', 'zz', '0x0cf2', '12-34', '0', '00:00', 'A'.repeat(41), 'ЖСН']) {
    assert.throws(() => parseSerial(bad), (e) => isQtError(e, 'QT_ERR_INPUT_INVALID') && e.details?.field === 'serial', JSON.stringify(bad));
  }
  assert.equal(parseSerial('7' + 'F'.repeat(39)).length, 40, 'twenty bytes are allowed');
});
