import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isQtError } from '@qoltanba/errors';
import { makeCert, makeHierarchy, type TestCert } from '../path/testing/ca.ts';
import { openssl, tempDir, type TempDir } from '../path/testing/openssl.ts';
import { buildCrl, CrlBuilder, type CrlEntryInput, type CrlOptions } from './build.ts';
import { parseCrl } from './parse.ts';
import { verifyCrl } from './verify.ts';

let ca: TestCert;
let tmp: TempDir;
const thisUpdate = new Date('2025-05-01T10:00:00Z');
const nextUpdate = new Date('2025-05-08T10:00:00Z');

before(async () => {
  ({ ca } = await makeHierarchy());
  tmp = tempDir();
  tmp.file('ca.pem', ca.pem);
});
after(() => tmp.remove());

const options = (more: Partial<CrlOptions> = {}): CrlOptions => ({
  issuer: { certificate: ca.der, signer: ca.signer },
  thisUpdate,
  nextUpdate,
  crlNumber: 7n,
  ...more,
});

/** `openssl crl -verify` against the CA, then its text listing. */
function opensslReads(name: string, der: Uint8Array): string {
  const path = tmp.file(name, der);
  const out = openssl(['crl', '-inform', 'DER', '-in', path, '-CAfile', tmp.path('ca.pem'), '-verify', '-noout', '-text']);
  return out;
}

const entries: CrlEntryInput[] = [
  { serial: '0a1b2c3d4e5f60718293', revokedAt: new Date('2025-04-01T08:00:00Z'), reason: 'keyCompromise', invalidityDate: new Date('2025-03-30T00:00:00Z') },
  { serial: '80FF', revokedAt: new Date('2025-04-02T08:00:00Z'), reason: 'cACompromise' },
  { serial: new Uint8Array([0, 0, 0x12, 0x34]), revokedAt: new Date('2025-04-03T08:00:00Z'), reason: 'affiliationChanged' },
  { serial: '05', revokedAt: new Date('2025-04-04T08:00:00Z'), reason: 'superseded' },
  { serial: '06', revokedAt: new Date('2025-04-05T08:00:00Z'), reason: 'cessationOfOperation' },
  { serial: '07', revokedAt: new Date('2025-04-06T08:00:00Z'), reason: 'certificateHold' },
  { serial: '09', revokedAt: new Date('2025-04-07T08:00:00Z'), reason: 'privilegeWithdrawn' },
  { serial: '0A', revokedAt: new Date('2025-04-08T08:00:00Z'), reason: 'aACompromise' },
  { serial: '0B', revokedAt: new Date('2025-04-09T08:00:00Z'), reason: 'unspecified' },
  { serial: '0C', revokedAt: new Date('2051-01-01T00:00:00Z') },
];

test('a full CRL passes openssl crl -verify and openssl lists its number, AKI, reasons and invalidity date', async () => {
  const der = await buildCrl({ ...options(), entries });
  const text = opensslReads('full.crl', der);
  assert.match(text, /X509v3 CRL Number: \n\s+7\n/);
  assert.match(text, /X509v3 Authority Key Identifier: \n\s+[0-9A-F:]{59}\n/);
  assert.doesNotMatch(text, /Delta CRL Indicator/);
  assert.match(text, /Last Update: May  1 10:00:00 2025 GMT\n\s+Next Update: May  8 10:00:00 2025 GMT/);
  for (const reason of ['Key Compromise', 'CA Compromise', 'Affiliation Changed', 'Superseded', 'Cessation Of Operation', 'Certificate Hold', 'Privilege Withdrawn', 'AA Compromise']) {
    assert.match(text, new RegExp(`X509v3 CRL Reason Code: \\n\\s+${reason}\\n`), reason);
  }
  assert.doesNotMatch(text, /Unspecified/, 'unspecified is left out, as RFC 5280 recommends');
  assert.match(text, /Serial Number: 0A1B2C3D4E5F60718293\n\s+Revocation Date: Apr  1 08:00:00 2025 GMT[\s\S]*?Invalidity Date: \n\s+Mar 30 00:00:00 2025 GMT/);
  assert.match(text, /Serial Number: 80FF\n/, 'a serial with its top bit set stays positive');
  assert.match(text, /Serial Number: 1234\n/, 'leading zero bytes are dropped');
  assert.match(text, /Serial Number: 0C\n\s+Revocation Date: Jan  1 00:00:00 2051 GMT/, 'GeneralizedTime from 2050');
});

test('our own parser reads back exactly what the builder wrote', async () => {
  const der = await buildCrl({ ...options(), entries });
  const crl = await verifyCrl(der, ca.pem, { at: new Date('2025-05-02T00:00:00Z') });
  assert.equal(crl.entryCount, entries.length);
  assert.equal(crl.crlNumber, 7n);
  const back = [...crl.entries()];
  assert.deepEqual(back[0], {
    serial: '0A1B2C3D4E5F60718293',
    revokedAt: new Date('2025-04-01T08:00:00Z'),
    reason: 'keyCompromise',
    invalidityDate: new Date('2025-03-30T00:00:00Z'),
  });
  assert.deepEqual(back.map((e) => e.serial), ['0A1B2C3D4E5F60718293', '80FF', '1234', '05', '06', '07', '09', '0A', '0B', '0C']);
  assert.equal(back[8]?.reason, undefined);
  assert.equal(crl.findRevocation('80ff')?.reason, 'cACompromise');
});

test('a delta CRL carries a critical deltaCRLIndicator with the base number and may remove entries', async () => {
  const der = await buildCrl({
    ...options({ crlNumber: 12n, deltaOf: 10n }),
    entries: [
      { serial: '07', revokedAt: new Date('2025-04-06T08:00:00Z'), reason: 'removeFromCRL' },
      { serial: '0D', revokedAt: new Date('2025-04-30T08:00:00Z'), reason: 'keyCompromise' },
    ],
  });
  const text = opensslReads('delta.crl', der);
  assert.match(text, /X509v3 Delta CRL Indicator: critical\n\s+10\n/);
  assert.match(text, /X509v3 CRL Number: \n\s+12\n/);
  assert.match(text, /Remove From CRL/);
  const crl = parseCrl(der);
  assert.equal(crl.deltaCrlIndicator, 10n);
  assert.equal(crl.findRevocation('07')?.reason, 'removeFromCRL');
});

test('an issuing distribution point is written critical with its URI and scope', async () => {
  const der = await buildCrl({
    ...options({ issuingDistributionPoint: { uris: ['http://127.0.0.1:8080/crl/issuing.crl'], onlyContainsUserCerts: true } }),
    entries: [],
  });
  const text = opensslReads('idp.crl', der);
  assert.match(text, /X509v3 Issuing Distribution Point: critical\n\s+Full Name:\n\s+URI:http:\/\/127\.0\.0\.1:8080\/crl\/issuing\.crl\s*Only User Certificates/);
  assert.match(text, /No Revoked Certificates\./, 'an empty CRL has no list at all');
  assert.deepEqual(parseCrl(der).issuingDistributionPoint, {
    uris: ['http://127.0.0.1:8080/crl/issuing.crl'],
    distributionPoint: { fullName: [{ type: 'uniformResourceIdentifier', value: 'http://127.0.0.1:8080/crl/issuing.crl' }] },
    onlyContainsUserCerts: true,
    onlyContainsCACerts: false,
    indirectCRL: false,
    onlyContainsAttributeCerts: false,
    partial: false,
  });
});

test('entries can come from an async source (a database cursor) through CrlBuilder or buildCrl', async () => {
  async function* cursor(): AsyncGenerator<CrlEntryInput> {
    for (let i = 1; i <= 50; i++) yield { serial: i.toString(16), revokedAt: new Date(Date.UTC(2025, 0, i)), reason: 'superseded' };
  }
  const der = await buildCrl({ ...options(), entries: cursor() });
  assert.equal(parseCrl(der).entryCount, 50);
  const builder = new CrlBuilder(options());
  for await (const e of cursor()) builder.add(e);
  assert.equal(builder.count, 50);
  assert.deepEqual(await builder.sign(), der, 'same input, same bytes (RSA PKCS#1 v1.5 is deterministic)');
  assert.throws(() => builder.add(entries[0]!), (e) => isQtError(e, 'QT_ERR_INPUT_INVALID'));
});

test('a 100 000-entry CRL builds, parses, finds its last entry and passes openssl crl -verify', async () => {
  const n = 100_000;
  const source = function* (): Generator<CrlEntryInput> {
    for (let i = 0; i < n; i++) {
      yield { serial: (0x7a000000000000n + BigInt(i) * 7919n).toString(16), revokedAt: new Date(1_700_000_000_000 + i * 1000), reason: i % 3 ? 'superseded' : undefined };
    }
  };
  const der = await buildCrl({ ...options(), entries: source() });
  const crl = parseCrl(der);
  assert.equal(crl.entryCount, n);
  const last = (0x7a000000000000n + BigInt(n - 1) * 7919n).toString(16).toUpperCase();
  assert.equal(crl.findRevocation(last)?.revokedAt.getTime(), 1_700_000_000_000 + (n - 1) * 1000);
  let count = 0;
  for (const e of crl.entries()) if (e.reason === 'superseded') count++;
  assert.equal(count, n - Math.ceil(n / 3));
  const out = openssl(['crl', '-inform', 'DER', '-in', tmp.file('big.crl', der), '-CAfile', tmp.path('ca.pem'), '-verify', '-noout'], undefined);
  assert.equal(out, '');
});

test('bad builder input gets QT_ERR_INPUT_INVALID or QT_ERR_KEY_MISMATCH, never a half-written CRL', async () => {
  const other = await makeCert({ subject: 'CN=Other CA, C=KZ', ca: true });
  const invalid = (e: unknown) => isQtError(e, 'QT_ERR_INPUT_INVALID');
  assert.throws(() => new CrlBuilder(options({ issuer: { certificate: ca.der, signer: other.signer } })), (e) => isQtError(e, 'QT_ERR_KEY_MISMATCH'));
  assert.throws(() => new CrlBuilder(options({ nextUpdate: thisUpdate })), invalid);
  assert.throws(() => new CrlBuilder(options({ deltaOf: 7n })), invalid);
  assert.throws(() => new CrlBuilder(options({ crlNumber: -1n })), invalid);
  const b = new CrlBuilder(options());
  assert.throws(() => b.add({ serial: 'xyz', revokedAt: thisUpdate }), invalid);
  assert.throws(() => b.add({ serial: '', revokedAt: thisUpdate }), invalid);
  assert.throws(() => b.add({ serial: 'ff'.repeat(20), revokedAt: thisUpdate }), invalid, '21 octets once the sign byte is added');
  assert.throws(() => b.add({ serial: '01', revokedAt: new Date('nope') }), invalid);
  assert.throws(() => b.add({ serial: '01', revokedAt: thisUpdate, reason: 'removeFromCRL' }), invalid);
  assert.throws(() => b.add({ serial: '01', revokedAt: thisUpdate, reason: 'bogus' as never }), invalid);
  assert.equal(b.count, 0);
  b.add({ serial: '7f'.repeat(20), revokedAt: thisUpdate });
  assert.equal(parseCrl(await b.sign()).findRevocation('7f'.repeat(20))?.serial, '7F'.repeat(20));
});
