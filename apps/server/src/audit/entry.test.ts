import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isQtError } from '@qoltanba/pki';
import { checkEntry, type AuditEntry } from './entry.ts';

const ok: AuditEntry = { actor: 'system:ra', action: 'certificate.issued', target: 'certificate:issuing/a1', details: {} };

function refusedAsSecret(details: Record<string, unknown>, path: string, value: string): void {
  assert.throws(
    () => checkEntry({ ...ok, details }),
    (e) => isQtError(e, 'QT_ERR_AUDIT_SECRET_REFUSED') && e.message.includes(path) && !e.message.includes(value),
  );
}

describe('audit entry guard', () => {
  test('accepts identifiers, decisions and public data, dropping undefined members', () => {
    const checked = checkEntry({
      ...ok,
      details: { iin: '880101300123', serial: 'a1', reason: undefined, tokenLabel: 'Kaztoken', spinner: 1, chain: ['root', 'issuing'], n: 3, ok: true, none: null },
    });
    assert.deepEqual(checked, {
      actor: 'system:ra',
      action: 'certificate.issued',
      target: 'certificate:issuing/a1',
      details: { iin: '880101300123', serial: 'a1', tokenLabel: 'Kaztoken', spinner: 1, chain: ['root', 'issuing'], n: 3, ok: true, none: null },
    });
    assert.equal(checkEntry({ ...ok, target: undefined }).target, null);
  });

  test('refuses keys named like secrets, at any depth, without echoing the secret', () => {
    refusedAsSecret({ password: 'Qwerty123' }, 'details.password', 'Qwerty123');
    refusedAsSecret({ key: { p12_Password: 'Qwerty123' } }, 'details.key.p12_Password', 'Qwerty123');
    refusedAsSecret({ caPassphrase: 'long phrase' }, 'details.caPassphrase', 'long phrase');
    refusedAsSecret({ steps: [{ userPin: '1234' }] }, 'details.steps[0].userPin', '1234');
    refusedAsSecret({ PUK: '87654321' }, 'details.PUK', '87654321');
    refusedAsSecret({ sms_otp: '556677' }, 'details.sms_otp', '556677');
    refusedAsSecret({ privateKey: 'MIIEv' }, 'details.privateKey', 'MIIEv');
    refusedAsSecret({ clientSecret: 'abc' }, 'details.clientSecret', 'abc');
  });

  test('refuses a PEM private key under any name', () => {
    const pem = '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----';
    refusedAsSecret({ attachment: pem }, 'details.attachment', 'MIIFHDBOB');
  });

  test('refuses a PKCS#11 key URI that carries its PIN, but not one without', () => {
    refusedAsSecret({ keyUri: 'pkcs11:token=ca;object=issuing?pin-value=123456' }, 'details.keyUri', '123456');
    assert.doesNotThrow(() => checkEntry({ ...ok, details: { keyUri: 'pkcs11:token=ca;object=issuing?pin-source=file:/etc/ca.pin' } }));
  });

  test('refuses what JSON or PostgreSQL cannot hold faithfully', () => {
    const invalid: Array<[Record<string, unknown>, RegExp]> = [
      [{ when: new Date() }, /details\.when is a Date/],
      [{ der: Buffer.from([1]) }, /details\.der is a Buffer/],
      [{ n: Number.NaN }, /details\.n is NaN/],
      [{ n: Infinity }, /details\.n is Infinity/],
      [{ list: [1, undefined] }, /details\.list\[1\] is undefined/],
      [{ big: 10n }, /details\.big is a bigint/],
      [{ text: 'a\u0000b' }, /NUL/],
      [{ text: 'half \ud800 pair' }, /unpaired UTF-16 surrogate/],
    ];
    for (const [details, message] of invalid) {
      assert.throws(() => checkEntry({ ...ok, details }), (e) => isQtError(e, 'QT_ERR_AUDIT_ENTRY_INVALID') && message.test(e.message), String(message));
    }
  });

  test('refuses a missing actor, a malformed action and non-object details', () => {
    assert.throws(() => checkEntry({ ...ok, actor: '' }), (e) => isQtError(e, 'QT_ERR_AUDIT_ENTRY_INVALID') && /actor/.test(e.message));
    assert.throws(() => checkEntry({ ...ok, action: 'Certificate Issued' }), (e) => isQtError(e, 'QT_ERR_AUDIT_ENTRY_INVALID') && /dotted lower-case/.test(e.message));
    assert.throws(() => checkEntry({ ...ok, details: [] as unknown as Record<string, unknown> }), (e) => isQtError(e, 'QT_ERR_AUDIT_ENTRY_INVALID') && /plain object/.test(e.message));
  });

  test('refuses details larger than 64 KiB and nesting deeper than 32 levels', () => {
    assert.throws(() => checkEntry({ ...ok, details: { blob: 'x'.repeat(70_000) } }), (e) => isQtError(e, 'QT_ERR_TOO_LARGE'));
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 40; i++) deep = { deeper: deep };
    assert.throws(() => checkEntry({ ...ok, details: deep }), (e) => isQtError(e, 'QT_ERR_AUDIT_ENTRY_INVALID') && /deeper than 32/.test(e.message));
  });
});
