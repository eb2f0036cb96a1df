import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { PREVIEW_CHARS, previewBytes, previewDigest } from './preview.ts';

describe('what the user is shown of a document', () => {
  test('readable UTF-8 text is shown as text, cut at the preview length with the full length kept', () => {
    const p = previewBytes(Buffer.from('Өтінім'.repeat(1000)));
    assert.equal(p.kind, 'text');
    assert.ok(p.kind === 'text' && [...p.text].length === PREVIEW_CHARS && p.total === 6000);
  });

  test('binary data (or text with control characters) is shown by size and SHA-256', () => {
    const pdf = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff]);
    assert.deepEqual(previewBytes(pdf), { kind: 'binary', size: 6, sha256: createHash('sha256').update(pdf).digest('hex') });
    assert.equal(previewBytes(Buffer.from('line\u0007bell')).kind, 'binary');
    assert.equal(previewBytes(Buffer.from('tab\tand\r\nnewlines')).kind, 'text');
  });

  test('a digest is called a digest', () => {
    assert.deepEqual(previewDigest(new Uint8Array(32), 'SHA-256'), { kind: 'digest', algorithm: 'SHA-256', hex: '0'.repeat(64) });
  });
});
