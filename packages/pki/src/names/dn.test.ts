import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { isQtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { bytesEqual, fromHex, toHex } from '../encoding.ts';
import { fixtureCertificates } from '../certificate/testing/fixture-certificates.ts';
import { decodeDn, encodeDn, type DnAttribute } from './dn.ts';
import { rawNames } from './testing/names.ts';

test('every fixture subject and issuer (RSA, GOST, 2018 prod with L/ST, responders, TSA) re-encodes to identical bytes', () => {
  const certs = fixtureCertificates();
  assert.ok(certs.length >= 17);
  for (const { label, der } of certs) {
    const { issuer, subject } = rawNames(der);
    for (const [which, name] of [['issuer', issuer], ['subject', subject]] as const) {
      const again = encodeDn(decodeDn(name));
      assert.ok(bytesEqual(again, name), `${label} ${which}: ${toHex(name)} != ${toHex(again)}`);
    }
  }
});

test('a decoded NCA subject keeps attribute order and string types', () => {
  const subject = rawNames(fixtureCertificates().find((c) => c.label === 'prod 2018 CEO (GOST 2004)')!.der).subject;
  const flat = decodeDn(subject).flat();
  assert.deepEqual(
    flat.map((a) => [a.type, a.stringType]),
    [
      [oid.commonName, 'utf8'],
      [oid.surname, 'utf8'],
      [oid.serialNumber, 'printable'],
      [oid.country, 'printable'],
      [oid.locality, 'utf8'],
      [oid.stateOrProvince, 'utf8'],
      [oid.organization, 'utf8'],
      [oid.organizationalUnit, 'utf8'],
      [oid.givenName, 'utf8'],
    ],
  );
  assert.equal(flat[6]!.value, 'АО "ТЕСТ"');
});

test('multi-valued RDNs, BMP/Universal/Teletex/IA5 values and non-string values survive a round trip', () => {
  const der = encodeDn([
    [
      { type: 'O', value: 'Ұлттық' },
      { type: 'CN', value: 'Б', stringType: 'bmp' },
    ],
    { type: 'L', value: 'Алматы 𝔸', stringType: 'universal' },
    { type: 'ST', value: 'Zürich', stringType: 'teletex' },
    { type: 'E', value: 'a@b.kz' },
    { type: '1.2.3.4', value: '', stringType: 'der', der: fromHex('020105') },
  ]);
  const dn = decodeDn(der);
  assert.deepEqual(dn[0]!.map((a) => a.type), [oid.organization, oid.commonName]);
  assert.equal(dn[1]![0]!.value, 'Алматы 𝔸');
  assert.equal(dn[2]![0]!.value, 'Zürich');
  assert.equal(dn[3]![0]!.stringType, 'ia5');
  assert.equal(dn[4]![0]!.stringType, 'der');
  assert.ok(bytesEqual(encodeDn(dn), der));
  // openssl reads what we wrote, with the string types we asked for.
  const dir = mkdtempSync(join(tmpdir(), 'qt-dn-'));
  writeFileSync(join(dir, 'dn.der'), der);
  const parsed = execFileSync('openssl', ['asn1parse', '-inform', 'DER', '-in', join(dir, 'dn.der')]).toString();
  for (const t of ['UTF8STRING', 'BMPSTRING', 'UNIVERSALSTRING', 'T61STRING', 'IA5STRING', 'INTEGER']) assert.match(parsed, new RegExp(t));
});

test('a UTF8String that is not valid UTF-8 is kept as raw DER rather than silently changed', () => {
  const bad = fromHex('300d310b300906035504030c02c328');
  const attr = decodeDn(bad)[0]?.[0] as DnAttribute | undefined;
  assert.equal(attr!.stringType, 'der');
  assert.equal(toHex(attr!.der!), '0c02c328');
  assert.ok(bytesEqual(encodeDn(decodeDn(bad)), bad));
});

test('values that do not fit the string type, and unknown short names, are refused', () => {
  assert.throws(() => encodeDn([{ type: 'C', value: 'ҚЗ' }]), (e) => isQtError(e, 'QT_ERR_NAME_INVALID'));
  assert.throws(() => encodeDn([{ type: 'SERIALNUMBER', value: 'IIN_1' }]), (e) => isQtError(e, 'QT_ERR_NAME_INVALID'));
  assert.throws(() => encodeDn([{ type: 'NICKNAME', value: 'x' }]), (e) => isQtError(e, 'QT_ERR_NAME_INVALID'));
  assert.throws(() => encodeDn([[]]), (e) => isQtError(e, 'QT_ERR_NAME_INVALID'));
});

test('truncated, padded or foreign DER is QT_ERR_DER_MALFORMED', () => {
  const good = encodeDn([{ type: 'CN', value: 'ТЕСТ' }]);
  for (const bad of [good.subarray(0, good.length - 1), new Uint8Array([...good, 0]), fromHex('020101'), fromHex('3003020101'), fromHex('30023100'), new Uint8Array()]) {
    assert.throws(() => decodeDn(bad), (e) => isQtError(e, 'QT_ERR_DER_MALFORMED'), toHex(bad));
  }
});

test('property: corrupted names decode to something that re-encodes identically, or fail with QT_ERR_DER_MALFORMED', () => {
  const good = encodeDn([
    [{ type: 'CN', value: 'ТЕСТОВ ТЕСТ' }, { type: 'O', value: 'x', stringType: 'bmp' }],
    { type: 'C', value: 'KZ' },
    { type: '1.2.3', value: '', stringType: 'der', der: fromHex('3003020105') },
  ]);
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.nat(255)), { minLength: 1, maxLength: 4 }), fc.nat(good.length), (changes, cut) => {
      const mutated = good.slice(0, cut || good.length);
      for (const [pos, byte] of changes) if (pos < mutated.length) mutated[pos] = byte;
      let dn;
      try {
        dn = decodeDn(mutated);
      } catch (e) {
        assert.ok(isQtError(e, 'QT_ERR_DER_MALFORMED'), String(e));
        return;
      }
      assert.ok(bytesEqual(encodeDn(dn), mutated), toHex(mutated));
    }),
    { numRuns: 5000 },
  );
});
