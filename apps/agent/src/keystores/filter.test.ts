import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTranslator } from '@qoltanba/i18n';
import { agentCatalogs } from '../ui/messages.ts';
import { describeRequirements, fits, keyTypeFrom, type KeyRequirements } from './filter.ts';
import type { KeyDescription, UsableKey } from './types.ts';

function key(d: Partial<KeyDescription>): UsableKey {
  const description: KeyDescription = {
    kind: 'SIGN', subjectCn: 'ТЕСТОВ ТЕСТ', subjectDn: 'CN=ТЕСТОВ ТЕСТ', issuerCn: 'CA', issuerDn: 'CN=CA', serialNumber: '0a1b',
    notBefore: new Date(0), notAfter: new Date(0), extKeyUsage: ['1.3.6.1.5.5.7.3.4', '1.2.398.3.3.4.1.1'], keyAlgorithm: 'RSA', iin: '123456789011', ...d,
  };
  return { description } as UsableKey;
}

describe('which keys fit a site request', () => {
  test('keyType SIGNATURE/AUTHENTICATION select SIGN/AUTH certificates; anything else means any key', () => {
    assert.equal(fits({ keyType: keyTypeFrom('SIGNATURE') }, key({ kind: 'SIGN' })), true);
    assert.equal(fits({ keyType: keyTypeFrom('SIGNATURE') }, key({ kind: 'AUTH' })), false);
    assert.equal(fits({ keyType: keyTypeFrom('AUTHENTICATION') }, key({ kind: 'AUTH' })), true);
    assert.equal(fits({ keyType: keyTypeFrom('123') }, key({ kind: 'AUTH' })), true);
  });

  test('every requested EKU/role OID must be in the certificate (NCA puts roles into the EKU)', () => {
    const ceo = key({ extKeyUsage: ['1.3.6.1.5.5.7.3.4', '1.2.398.3.3.4.1.2', '1.2.398.3.3.4.1.2.1'], bin: '123456789021' });
    assert.equal(fits({ extKeyUsageOids: ['1.3.6.1.5.5.7.3.4', '1.2.398.3.3.4.1.2.1'] }, ceo), true);
    assert.equal(fits({ extKeyUsageOids: ['1.3.6.1.5.5.7.3.4', '1.2.398.3.3.4.1.2.1'] }, key({})), false);
    assert.equal(fits({ extKeyUsageOids: [] }, key({})), true);
  });

  test('IIN, BIN and serial number must match; serials compare without case or leading zeros', () => {
    assert.equal(fits({ iin: '123456789011' }, key({})), true);
    assert.equal(fits({ iin: '990101300001' }, key({})), false);
    assert.equal(fits({ bin: '123456789021' }, key({})), false);
    assert.equal(fits({ serialNumber: '000A1B' }, key({})), true);
    assert.equal(fits({ serialNumber: '0a1c' }, key({})), false);
  });

  test('a non-empty chain keeps certificates whose AKI is one of the CAs\' SKI (DN when ids are missing)', () => {
    const withAki = key({ authorityKeyId: 'aa' });
    const req = (issuers: KeyRequirements['issuers']): KeyRequirements => ({ issuers });
    assert.equal(fits(req([{ subjectDn: 'CN=X', subjectKeyId: 'aa' }]), withAki), true);
    assert.equal(fits(req([{ subjectDn: 'CN=CA', subjectKeyId: 'bb' }]), withAki), false);
    assert.equal(fits(req([{ subjectDn: 'CN=CA' }]), key({})), true);
    assert.equal(fits(req([]), key({})), true);
  });

  test('requirements are described in the user\'s language', () => {
    const kk = createTranslator(agentCatalogs, 'kk');
    assert.equal(describeRequirements({ keyType: 'SIGNATURE', iin: '123456789011' }, kk), 'қол қою кілті; ЖСН 123456789011');
    assert.equal(describeRequirements({}, createTranslator(agentCatalogs, 'en')), 'any key');
  });
});
