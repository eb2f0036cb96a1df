import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFixture, fixturePath, nca } from '../../../../test/support/fixtures.ts';
import { isQtError } from '@qoltanba/errors';
import { toPem } from '../encoding.ts';
import { oid } from '../oids.ts';
import { openssl } from '../path/testing/openssl.ts';
import { parseCrl, type CrlEntry } from './parse.ts';

const rsaCrl = () => readFixture(...nca.rsaCrl);

test('the NCA RSA test CRL parses to its header: 126 entries, number 9, window, AKI, issuer', () => {
  const crl = parseCrl(rsaCrl());
  assert.equal(crl.entryCount, 126);
  assert.equal(crl.crlNumber, 9n);
  assert.equal(crl.deltaCrlIndicator, undefined);
  assert.equal(crl.version, 2);
  assert.equal(crl.issuer.display, 'C=KZ, CN=ҰКО 3.0 (RSA TEST)');
  assert.equal(crl.thisUpdate.toISOString(), '2022-03-29T04:18:29.000Z');
  assert.equal(crl.nextUpdate?.toISOString(), '2022-09-25T04:18:29.000Z');
  assert.equal(Buffer.from(crl.authorityKeyId!).toString('hex'), 'a68c16337cb8e83567063e5e415755a2af345068');
  assert.equal(crl.signatureAlgorithm.oid, oid.sha256WithRsa);
  assert.equal(crl.signatureAlgorithm.name, 'RSA/SHA-256');
  assert.deepEqual(crl.tbsRange, { start: 4, end: 4 + 4 + 5748 });
  assert.equal(crl.signature.length, 512);
});

/** Entries as `openssl crl -text` lists them: serial, revocation date, reason. */
function opensslEntries(path: string): { serial: string; revokedAt: string; reason: string | undefined }[] {
  const text = openssl(['crl', '-inform', 'DER', '-in', path, '-noout', '-text']);
  const out: { serial: string; revokedAt: string; reason: string | undefined }[] = [];
  const re = /Serial Number: ([0-9A-F]+)\n\s+Revocation Date: ([^\n]+)\n(?:\s+CRL entry extensions:\n(?:\s+X509v3 CRL Reason Code: \n\s+([^\n]+)\n)?)?/g;
  for (const m of text.matchAll(re)) {
    out.push({ serial: m[1]!, revokedAt: new Date(m[2]!).toISOString(), reason: m[3]?.trim() });
  }
  return out;
}

const opensslReasonNames: Record<string, string> = {
  keyCompromise: 'Key Compromise',
  affiliationChanged: 'Affiliation Changed',
  superseded: 'Superseded',
  cessationOfOperation: 'Cessation Of Operation',
  certificateHold: 'Certificate Hold',
};

test('every entry of the NCA RSA CRL decodes as OpenSSL reads it (serial, date, reason)', () => {
  const ours = [...parseCrl(rsaCrl()).entries()].map((e: CrlEntry) => ({
    serial: e.serial,
    revokedAt: e.revokedAt.toISOString(),
    reason: e.reason ? opensslReasonNames[e.reason] : undefined,
  }));
  const theirs = opensslEntries(fixturePath(...nca.rsaCrl));
  assert.equal(theirs.length, 126);
  assert.deepEqual(ours, theirs);
});

test('findRevocation finds the revoked fixture keys by serial in any spelling, and misses a good one', () => {
  const crl = parseCrl(rsaCrl());
  const hit = crl.findRevocation('1AB11253653B2537F2EDD55F0F66281CA4FA3F98');
  assert.deepEqual(hit, {
    serial: '1AB11253653B2537F2EDD55F0F66281CA4FA3F98',
    revokedAt: new Date('2022-01-18T04:41:12Z'),
    reason: 'superseded',
    invalidityDate: undefined,
  });
  assert.equal(crl.findRevocation('00:46:75:7a:21:58:a6:04:18:9c:40:fb:1f:cd:ab:11:43:f8:3f:32:db')?.reason, 'superseded');
  assert.equal(crl.findRevocation(Buffer.from('474C38696D8677A2C8B6E40345A8B04168C0905C', 'hex'))?.reason, 'certificateHold');
  assert.equal(crl.findRevocation('4279390A141F5353A62947B61ED65E81741467D1'), undefined);
});

test('the NCA GOST CRLs parse fully (31 and 6 entries) though their signatures cannot be checked yet', () => {
  const gost = parseCrl(readFixture(...nca.gostCrl));
  assert.equal(gost.entryCount, 31);
  assert.equal(gost.crlNumber, 7n);
  assert.equal(gost.signatureAlgorithm.oid, oid.kzGost2004Sign);
  assert.equal([...gost.entries()].length, 31);
  const gost2022 = parseCrl(readFixture(...nca.gost2022Crl));
  assert.equal(gost2022.entryCount, 6);
  assert.equal(gost2022.crlNumber, 4n);
  assert.equal(gost2022.signatureAlgorithm.name, 'GOST 34.10-2015 (512)/Streebog-512');
  assert.equal(gost2022.findRevocation('3A90343E720594C55204B19CB9A402422EF0E622')?.reason, 'certificateHold');
  assert.deepEqual(
    [...gost2022.entries()].map((e) => e.serial),
    opensslEntries(fixturePath(...nca.gost2022Crl)).map((e) => e.serial),
  );
});

test('a PEM-armoured CRL parses like its DER', () => {
  assert.equal(parseCrl(toPem('X509 CRL', rsaCrl())).entryCount, 126);
});

test('truncated, garbage, trailing-byte and non-CRL input fail with QT_ERR_CRL_MALFORMED', () => {
  const der = rsaCrl();
  const bad: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['truncated in the header', der.subarray(0, 60)],
    ['truncated in the entries', der.subarray(0, 3000)],
    ['one byte short', der.subarray(0, der.length - 1)],
    ['garbage', new Uint8Array(Array.from({ length: 300 }, (_, i) => (i * 73 + 11) & 0xff))],
    ['trailing bytes', new Uint8Array([...der, 0, 0])],
    ['a certificate', readFixture(...nca.signCert)],
  ];
  for (const [what, input] of bad) {
    assert.throws(() => parseCrl(input), (e) => isQtError(e, 'QT_ERR_CRL_MALFORMED'), what);
  }
  // An entry whose reason code is not in RFC 5280 is caught when that entry is read.
  const badReason = der.slice();
  const at = Buffer.from(badReason).indexOf(Buffer.from('0a0106', 'hex'));
  badReason[at + 2] = 7;
  const crl = parseCrl(badReason);
  assert.throws(() => [...crl.entries()], (e) => isQtError(e, 'QT_ERR_CRL_MALFORMED') && /reason code 7/.test(e.message));
});
