import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFixture, nca } from '../../../../test/support/fixtures.ts';
import { derFrom } from '../encoding.ts';
import { encodeDn } from './dn.ts';
import { formatDn } from './format.ts';
import { rawNames } from './testing/names.ts';

test("an NCA subject displays CN first, with NCA's short names", () => {
  const { subject, issuer } = rawNames(derFrom(readFixture(...nca.ceoGostCert)));
  assert.equal(formatDn(subject), 'CN=ТЕСТОВ ТЕСТ, SURNAME=ТЕСТОВ, SERIALNUMBER=IIN123456789011, C=KZ, O=АО \\"ТЕСТ\\", OU=BIN123456789021, G=ТЕСТОВИЧ');
  assert.equal(formatDn(issuer), 'C=KZ, CN=ҰКО 3.0 (GOST TEST)');
  assert.equal(formatDn(issuer, { reverse: true }), 'CN=ҰКО 3.0 (GOST TEST), C=KZ');
});

test('display strings escape RFC 4514 specials, join multi-valued RDNs with + and show non-text as #hex', () => {
  const der = encodeDn([
    [{ type: 'CN', value: ' #a,b+c;d<e>f\\g ' }, { type: 'O', value: 'x' }],
    { type: '1.2.3.4', value: '', stringType: 'der', der: new Uint8Array([2, 1, 5]) },
    { type: '1.2.3.5', value: 'текст' },
  ]);
  assert.equal(formatDn(der), 'CN=\\ #a\\,b\\+c\\;d\\<e\\>f\\\\g\\ +O=x, 1.2.3.4=#020105, 1.2.3.5=текст');
});
