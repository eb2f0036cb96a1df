import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isQtError } from '@qoltanba/errors';
import { fromHex } from '../encoding.ts';
import { fixtureCertificates } from '../certificate/testing/fixture-certificates.ts';
import { assertStrictDer } from './strict-der.ts';

test('every fixture certificate is well-framed DER', () => {
  for (const { label, der } of fixtureCertificates()) assert.doesNotThrow(() => assertStrictDer(der), label);
});

test('framing that lenient BER readers accept is refused', () => {
  const cases: [string, string][] = [
    ['3003020105', ''], // baseline: fine
    ['31023003020105', 'truncated'], // child runs past its parent
    ['3080020105', 'indefinite'],
    ['308103020105', 'not minimal'],
    ['30820003020105', 'not minimal'],
    ['3003020105' + '00', 'trailing'],
    ['30050201', 'truncated'],
    ['1f', 'truncated'],
    ['', 'missing'],
  ];
  for (const [hex, why] of cases) {
    if (!why) {
      assert.doesNotThrow(() => assertStrictDer(fromHex(hex)));
      continue;
    }
    assert.throws(() => assertStrictDer(fromHex(hex)), (e) => isQtError(e, 'QT_ERR_DER_MALFORMED') && e.message.includes(why), hex);
  }
  let deep = fromHex('0500');
  for (let i = 0; i < 100; i++) {
    const n = deep.length;
    deep = new Uint8Array([0x30, ...(n < 0x80 ? [n] : [0x81, n]), ...deep]);
  }
  assert.throws(() => assertStrictDer(deep), (e) => isQtError(e, 'QT_ERR_DER_MALFORMED') && e.message.includes('deeply'));
});
