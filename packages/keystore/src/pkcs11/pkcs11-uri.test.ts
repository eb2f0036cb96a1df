import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { QtErrorCode } from '@qoltanba/pki';
import { describePkcs11Uri, formatPkcs11Uri, parsePkcs11Uri } from './pkcs11-uri.ts';

function throwsCode(fn: () => unknown, code: QtErrorCode): Error {
  let caught: unknown;
  assert.throws(fn, (e: unknown) => {
    caught = e;
    return (e as { code?: string }).code === code;
  });
  return caught as Error;
}

describe('PKCS#11 URIs (RFC 7512)', () => {
  test('path and query attributes are percent-decoded; id stays bytes', () => {
    const uri = parsePkcs11Uri(
      'pkcs11:token=Qoltanba%20CA;object=issuing-ca-2026;id=%01%a2%FF;serial=00ab;type=private' +
        '?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=env:QOLTANBA_HSM_PIN',
    );
    assert.deepEqual(uri, {
      token: 'Qoltanba CA',
      object: 'issuing-ca-2026',
      id: new Uint8Array([0x01, 0xa2, 0xff]),
      serial: '00ab',
      type: 'private',
      modulePath: '/usr/lib/softhsm/libsofthsm2.so',
      pinSource: 'env:QOLTANBA_HSM_PIN',
    });
  });

  test('percent-encoded UTF-8 decodes to text (a Kazakh token label)', () => {
    const label = 'Қолтаңба КО';
    const encoded = `pkcs11:token=${encodeURIComponent(label)}`;
    assert.equal(parsePkcs11Uri(encoded).token, label);
    assert.equal(formatPkcs11Uri({ token: label }), encoded.replace(/%[0-9a-f]{2}/g, (m) => m.toUpperCase()));
  });

  test('slot-id, slot-description, manufacturer and model select tokens; an empty URI is allowed', () => {
    assert.deepEqual(parsePkcs11Uri('pkcs11:slot-id=719497237;slot-description=SoftHSM%20slot;manufacturer=SoftHSM%20project;model=SoftHSM%20v2'), {
      slotId: 719497237,
      slotDescription: 'SoftHSM slot',
      manufacturer: 'SoftHSM project',
      model: 'SoftHSM v2',
    });
    assert.deepEqual(parsePkcs11Uri('pkcs11:'), {});
    assert.deepEqual(parsePkcs11Uri('pkcs11:object=a;x-vendor=ignored'), { object: 'a' });
  });

  test('formatting then parsing gives the same URI back, with reserved characters encoded', () => {
    const original = {
      token: 'A;B?C&D=E/F%',
      object: 'key one',
      id: new Uint8Array([0, 1, 2, 0x61]),
      modulePath: '/opt/hsm lib/lib.so',
      pinSource: 'file:/run/secrets/hsm-pin',
    };
    const text = formatPkcs11Uri(original);
    assert.equal(text, 'pkcs11:token=A%3BB%3FC%26D=E%2FF%25;object=key%20one;id=%00%01%02%61?module-path=/opt/hsm%20lib/lib.so&pin-source=file:/run/secrets/hsm-pin');
    assert.deepEqual(parsePkcs11Uri(text), original);
  });

  test('formatted and described URIs never carry a pin-value', () => {
    const uri = parsePkcs11Uri('pkcs11:token=T;object=k?pin-value=123456');
    assert.equal(uri.pinValue, '123456');
    assert.equal(formatPkcs11Uri(uri), 'pkcs11:token=T;object=k');
    assert.equal(describePkcs11Uri({ ...uri, modulePath: '/x.so' }), 'pkcs11:token=T;object=k');
  });

  test('malformed URIs get QT_ERR_KEY_URI_MALFORMED naming the attribute, never its value', () => {
    throwsCode(() => parsePkcs11Uri('pkcs11:objekt=typo'), 'QT_ERR_KEY_URI_MALFORMED');
    throwsCode(() => parsePkcs11Uri('pkcs11:object=a;object=b'), 'QT_ERR_KEY_URI_MALFORMED');
    throwsCode(() => parsePkcs11Uri('pkcs11:object'), 'QT_ERR_KEY_URI_MALFORMED');
    throwsCode(() => parsePkcs11Uri('pkcs11:id=%zz'), 'QT_ERR_KEY_URI_MALFORMED');
    throwsCode(() => parsePkcs11Uri('pkcs11:token=%ff%fe'), 'QT_ERR_KEY_URI_MALFORMED');
    throwsCode(() => parsePkcs11Uri('pkcs11:slot-id=abc'), 'QT_ERR_KEY_URI_MALFORMED');
    throwsCode(() => parsePkcs11Uri('pkcs11:type=everything'), 'QT_ERR_KEY_URI_MALFORMED');
    throwsCode(() => parsePkcs11Uri('pkcs11:token=T?module-name=softhsm2'), 'QT_ERR_KEY_URI_MALFORMED');
    throwsCode(() => parsePkcs11Uri('pkcs11:token=T?pin-sourc=env:X'), 'QT_ERR_KEY_URI_MALFORMED');
    const bad = throwsCode(() => parsePkcs11Uri('pkcs11:token=T?pin-value=S3cr3t-Pin&pin-source=env:X'), 'QT_ERR_KEY_URI_MALFORMED');
    assert.equal(bad.message.includes('S3cr3t-Pin'), false);
    const badEscape = throwsCode(() => parsePkcs11Uri('pkcs11:token=T?pin-value=S3cr3t%G1'), 'QT_ERR_KEY_URI_MALFORMED');
    assert.equal(badEscape.message.includes('S3cr3t'), false);
  });

  test('another scheme is QT_ERR_KEY_URI_SCHEME', () => {
    throwsCode(() => parsePkcs11Uri('soft:issuing-ca'), 'QT_ERR_KEY_URI_SCHEME');
  });
});
