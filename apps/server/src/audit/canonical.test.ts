import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalJson, canonicalRow, canonicalRowAround, GENESIS_HASH, rowHash } from './canonical.ts';

describe('canonical audit serialisation', () => {
  test('sorts object keys at every depth and adds no whitespace', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: null, y: true }], c: 'x' } }), '{"a":{"c":"x","d":[3,{"y":true,"z":null}]},"b":1}');
  });

  test('orders keys by UTF-16 code units, as RFC 8785 requires', () => {
    // The example of RFC 8785 §3.2.3, given in scrambled order.
    const keys = ['\u20ac', '\r', '\ufb33', '1', '\ud83d\ude00', '\u0080', '\u00f6'];
    const object = Object.fromEntries(keys.map((k, i) => [k, i]));
    const sorted = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'];
    assert.equal(canonicalJson(object), `{${sorted.map((k) => `${JSON.stringify(k)}:${keys.indexOf(k)}`).join(',')}}`);
  });

  test('writes numbers the ECMAScript way', () => {
    assert.equal(canonicalJson([1.0, 1e21, 1e-7, 0.1, -0, 123456789012345680000]), '[1,1e+21,1e-7,0.1,0,123456789012345680000]');
  });

  test('the same row gives the same hash whatever order its details were built in', () => {
    const base = { seq: '7', at: new Date('2025-03-01T10:00:00.123Z'), actor: 'system:ra', action: 'certificate.issued', target: 'certificate:root/a1' };
    const one = rowHash(GENESIS_HASH, { ...base, details: { serial: 'a1', iin: '880101300123', profile: { kind: 'SIGN', years: 1 } } });
    const two = rowHash(GENESIS_HASH, { ...base, details: { profile: { years: 1, kind: 'SIGN' }, iin: '880101300123', serial: 'a1' } });
    assert.deepEqual(one, two);
  });

  test('every field and the previous hash take part in the hash', () => {
    const row = { seq: '7', at: new Date('2025-03-01T10:00:00.123Z'), actor: 'system:ra', action: 'certificate.issued', target: null, details: { n: 1 } };
    const original = rowHash(GENESIS_HASH, row).toString('hex');
    const variants = [
      rowHash(Buffer.alloc(32, 1), row),
      rowHash(GENESIS_HASH, { ...row, seq: '8' }),
      rowHash(GENESIS_HASH, { ...row, at: new Date('2025-03-01T10:00:00.124Z') }),
      rowHash(GENESIS_HASH, { ...row, actor: 'system:rb' }),
      rowHash(GENESIS_HASH, { ...row, action: 'certificate.revoked' }),
      rowHash(GENESIS_HASH, { ...row, target: '' }),
      rowHash(GENESIS_HASH, { ...row, details: { n: 2 } }),
    ].map((h) => h.toString('hex'));
    assert.equal(new Set([original, ...variants]).size, variants.length + 1);
  });

  test('the canonical row is the documented JSON object', () => {
    const text = canonicalRow({ seq: '12', at: new Date('2025-01-02T03:04:05.006Z'), actor: 'operator:aigul', action: 'ca.created', target: 'ca:root', details: {} });
    assert.equal(text, '{"action":"ca.created","actor":"operator:aigul","at":"2025-01-02T03:04:05.006Z","details":{},"seq":"12","target":"ca:root"}');
  });

  test('the text cut around seq and time reassembles into the canonical row', () => {
    const row = { seq: '9007199254740993', at: new Date('2031-12-31T23:59:59.999Z'), actor: 'citizen:"quoted"', action: 'key.installed', target: null, details: { b: ['\n', 'ә'], a: 1 } };
    const { beforeAt, beforeSeq, after } = canonicalRowAround(row);
    assert.equal(`${beforeAt}${row.at.toISOString()}${beforeSeq}${row.seq}${after}`, canonicalRow(row));
  });
});
