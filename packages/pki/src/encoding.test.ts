import { test } from 'node:test';
import assert from 'node:assert/strict';
import { derFrom, fromBase64, isPem, toBase64, toPem, utf8 } from './encoding.ts';
import { isQtError } from '@qoltanba/errors';

const der = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05]);

test('derFrom accepts DER, PEM, PEM after an OpenSSL preamble, and bare base64', () => {
  assert.deepEqual(derFrom(der), der);
  assert.deepEqual(derFrom(toPem('CERTIFICATE', der)), der);
  const withPreamble = `Bag Attributes\n    localKeyID: 01 02\nsubject=CN = x\n${toPem('CERTIFICATE', der)}`;
  assert.equal(isPem(withPreamble), true);
  assert.deepEqual(derFrom(withPreamble), der);
  assert.deepEqual(derFrom(utf8(withPreamble)), der);
  assert.deepEqual(derFrom(toBase64(der)), der);
});

test('derFrom picks the block with the requested label', () => {
  const text = toPem('PRIVATE KEY', new Uint8Array([0x30, 0])) + toPem('CERTIFICATE', der);
  assert.deepEqual(derFrom(text, 'CERTIFICATE'), der);
  assert.throws(() => derFrom(text, 'X509 CRL'), (e) => isQtError(e, 'QT_ERR_PEM_MALFORMED'));
});

test('invalid base64 is a stable error', () => {
  assert.throws(() => fromBase64('not base64!'), (e) => isQtError(e, 'QT_ERR_BASE64_MALFORMED'));
});
