import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GOST2015_KEY_PASSWORD, nca, prod2018, readFixture, TEST_KEY_PASSWORD } from '../../../../test/support/fixtures.ts';
import { concatBytes, fromHex, type Bytes } from '../encoding.ts';
import { isQtError, type QtErrorCode } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { verifySignature } from '../crypto/index.ts';
import { integer, objectIdentifier, octetString, sequence, tlv } from '../der/write.ts';
import { TAG, childrenOf, readWhole } from '../der/read.ts';
import { readCertificate } from '../path/certificate.ts';
import { pairKeyWithCertificate } from '../pkcs12/key-pairing.ts';
import { readPkcs12 } from '../pkcs12/read.ts';
import { curveOf, TC26_512_A } from './curves.ts';
import { KZ_GOST_2004, KZ_GOST_2015_512 } from './kz-algorithms.ts';
import {
  decodeKzSignature,
  decodeRfc4491Signature,
  eFromDigest,
  encodeKzSignature,
  encodeRfc4491Signature,
  kzGostPkcs8,
  kzGostSpki,
  readKzGostPkcs8,
  readKzGostSpki,
  toLittleEndian,
} from './kz-encoding.ts';

const keyFiles = [
  [nca.valid2015Key, GOST2015_KEY_PASSWORD],
  [nca.ceoRevoked2015Key, GOST2015_KEY_PASSWORD],
  [nca.ceoSignRevoked2004Key, TEST_KEY_PASSWORD],
  [prod2018.gostKey, TEST_KEY_PASSWORD],
] as const;

function throwsCode(fn: () => unknown, code: QtErrorCode, message?: RegExp): void {
  assert.throws(fn, (e) => {
    assert.ok(isQtError(e, code), `expected ${code}, got ${String((e as { code?: string }).code)}: ${(e as Error).message}`);
    if (message) assert.match(e.message, message);
    return true;
  });
}

/** An SPKI with NCA's 2015-512 header around arbitrary point bytes. */
function spki2015(point: Uint8Array, curveOid: string = oid.kzGost2015_512Params): Bytes {
  const algId = sequence(objectIdentifier(oid.kzGost2015_512Key), sequence(objectIdentifier(curveOid), objectIdentifier(oid.kzStreebog512)));
  return sequence(algId, tlv(0x03, new Uint8Array([0]), octetString(point)));
}

const ca2015 = () => readCertificate(readFixture(...nca.gost2015Ca));

test('our writers reproduce NCA’s key bytes exactly: every GOST key file’s PKCS#8 and its certificate’s SPKI', async () => {
  for (const [path, password] of keyFiles) {
    const { key, certificate } = pairKeyWithCertificate(await readPkcs12(readFixture(...path), password));
    const priv = readKzGostPkcs8(key.pkcs8);
    assert.deepEqual(kzGostPkcs8(priv.algorithm, priv.d, priv.curve), key.pkcs8, path.join('/'));
    const spki = readCertificate(certificate).spki;
    const pub = readKzGostSpki(spki);
    assert.deepEqual(kzGostSpki(pub.algorithm, pub.point, pub.curve), spki, path.join('/'));
    // The 2015 key keeps d little-endian in an OCTET STRING, the 2004 key a big-endian INTEGER.
    const [, , privateKey] = childrenOf(key.pkcs8, readWhole(key.pkcs8, TAG.sequence, 'PKCS#8'));
    assert.equal(key.pkcs8[privateKey!.contentStart], priv.algorithm === KZ_GOST_2015_512 ? TAG.octetString : TAG.integer, path.join('/'));
  }
});

test('a certificate signature is r‖s little-endian: read the RFC 4491 way (s‖r big-endian) it does not verify, reversed it does', async () => {
  const ca = ca2015();
  const leaf = readCertificate((await readPkcs12(readFixture(...nca.valid2015Key), GOST2015_KEY_PASSWORD)).certificates[0]!.der);
  const curve = curveOf(TC26_512_A);
  const asRfc = decodeRfc4491Signature(leaf.signature, curve);
  const asKz = decodeKzSignature(leaf.signature, curve);
  assert.notDeepEqual(asRfc, asKz);
  assert.deepEqual(decodeRfc4491Signature(new Uint8Array(leaf.signature).reverse(), curve), asKz);
  assert.deepEqual(encodeRfc4491Signature(asKz, curve), new Uint8Array(leaf.signature).reverse());
  assert.deepEqual(encodeKzSignature(asKz, curve), leaf.signature);
  const verify = (signature: Uint8Array) => verifySignature(oid.kzGost2015_512Sign, { spki: ca.spki, data: leaf.tbs, signature });
  assert.equal(await verify(leaf.signature), true);
  assert.equal(await verify(new Uint8Array(leaf.signature).reverse()), false);
});

test('signatures of the wrong length are refused with the lengths in the message', async () => {
  const ca = ca2015();
  for (const n of [0, 64, 127, 129, 256]) {
    await assert.rejects(verifySignature(oid.kzGost2015_512Sign, { spki: ca.spki, data: new Uint8Array(1), signature: new Uint8Array(n) }), (e) =>
      isQtError(e, 'QT_ERR_SIGNATURE_INVALID') && e.message.includes(`${n} bytes`) && e.message.includes('128'),
    );
  }
  // All-zero r and s of the right length are simply not a valid signature.
  assert.equal(await verifySignature(oid.kzGost2015_512Sign, { spki: ca.spki, data: new Uint8Array(1), signature: new Uint8Array(128) }), false);
});

test('public keys off the curve, outside the field or at infinity are QT_ERR_GOST_POINT_INVALID', () => {
  const good = readKzGostSpki(ca2015().spki);
  const curve = good.curve;
  const { x, y } = good.point.toAffine();
  const le = (v: bigint) => toLittleEndian(v, 64);
  throwsCode(() => readKzGostSpki(spki2015(concatBytes(le(x), le(y + 1n)))), 'QT_ERR_GOST_POINT_INVALID', /not a point of id-tc26-gost-3410-12-512-paramSetA/);
  throwsCode(() => readKzGostSpki(spki2015(concatBytes(le(curve.p), le(y)))), 'QT_ERR_GOST_POINT_INVALID', /field/);
  throwsCode(() => readKzGostSpki(spki2015(concatBytes(le(x), le(curve.p)))), 'QT_ERR_GOST_POINT_INVALID', /field/);
  throwsCode(() => readKzGostSpki(spki2015(new Uint8Array(128))), 'QT_ERR_GOST_POINT_INVALID');
  // y = 0 (which noble refuses while building the point) is the same clear error, not a library exception.
  throwsCode(() => readKzGostSpki(spki2015(concatBytes(le(x), le(0n)))), 'QT_ERR_GOST_POINT_INVALID');
  // The same point given big-endian (a common porting mistake) is off the curve, not silently another key.
  throwsCode(() => readKzGostSpki(spki2015(concatBytes(le(x).reverse(), le(y).reverse()))), 'QT_ERR_GOST_POINT_INVALID');
});

test('malformed key structures are QT_ERR_KEY_MALFORMED; unknown curve parameters are QT_ERR_ALGORITHM_UNSUPPORTED', () => {
  const spki = ca2015().spki;
  throwsCode(() => readKzGostSpki(spki.subarray(0, spki.length - 1)), 'QT_ERR_KEY_MALFORMED');
  throwsCode(() => readKzGostSpki(spki2015(new Uint8Array(127))), 'QT_ERR_KEY_MALFORMED', /127 bytes; 128 are expected/);
  throwsCode(() => readKzGostSpki(spki2015(new Uint8Array(128), '1.2.398.3.10.1.1.2.2.9')), 'QT_ERR_ALGORITHM_UNSUPPORTED', /curve parameters/);
  const rsa = readCertificate(readFixture(...nca.rsaCa)).spki;
  throwsCode(() => readKzGostSpki(rsa), 'QT_ERR_ALGORITHM_UNSUPPORTED');
  // GOST 34.10-2015 (256): only the parameter set NCA uses (1.2.398.3.10.1.1.2.1.1) names a curve we know.
  const algId256 = sequence(objectIdentifier(oid.kzGost2015_256Key), sequence(objectIdentifier('1.2.398.3.10.1.1.2.1.9'), objectIdentifier(oid.kzStreebog256)));
  throwsCode(() => readKzGostSpki(sequence(algId256, tlv(0x03, new Uint8Array([0]), octetString(new Uint8Array(64))))), 'QT_ERR_ALGORITHM_UNSUPPORTED', /GOST 34\.10-2015 \(256\)/);
});

test('a 2004 signature is not checked with a 2015 key, nor a GOST one with an RSA key', async () => {
  const data = new Uint8Array(8);
  await assert.rejects(verifySignature(oid.kzGost2004Sign, { spki: ca2015().spki, data, signature: new Uint8Array(64) }), (e) =>
    isQtError(e, 'QT_ERR_SIGNATURE_INVALID') && /GOST 34\.310-2004 signature cannot be made with a GOST 34\.10-2015 \(512\) key/.test(e.message),
  );
  await assert.rejects(verifySignature(oid.kzGost2015_512Sign, { spki: readCertificate(readFixture(...nca.rsaCa)).spki, data, signature: new Uint8Array(128) }), (e) =>
    isQtError(e, 'QT_ERR_SIGNATURE_INVALID'),
  );
});

test('private keys: both inner layouts read to the same d; zero, ≥ q and garbage are QT_ERR_KEY_MALFORMED', () => {
  const curve = curveOf(TC26_512_A);
  const algId = sequence(objectIdentifier(oid.kzGost2015_512Key), sequence(objectIdentifier(oid.kzGost2015_512Params), objectIdentifier(oid.kzStreebog512)));
  const p8 = (inner: Uint8Array) => sequence(integer(0), algId, octetString(inner));
  const d = 0x1234567890abcdefn;
  assert.equal(readKzGostPkcs8(p8(octetString(toLittleEndian(d, 64)))).d, d);
  assert.equal(readKzGostPkcs8(p8(integer(d))).d, d);
  assert.equal(readKzGostPkcs8(p8(toLittleEndian(d, 64))).d, d, 'bare little-endian octets');
  throwsCode(() => readKzGostPkcs8(p8(octetString(new Uint8Array(64)))), 'QT_ERR_KEY_MALFORMED', /not in \[1, q-1\]/);
  throwsCode(() => readKzGostPkcs8(p8(octetString(toLittleEndian(curve.q, 64)))), 'QT_ERR_KEY_MALFORMED', /not in \[1, q-1\]/);
  throwsCode(() => readKzGostPkcs8(p8(fromHex('0280ff'))), 'QT_ERR_KEY_MALFORMED');
  throwsCode(() => readKzGostPkcs8(fromHex('3003020100')), 'QT_ERR_KEY_MALFORMED');
  // The 2004 layout round-trips through NCA's INTEGER form.
  const c2004 = curveOf(KZ_GOST_2004.curves[oid.kzGost2004Params]!);
  assert.equal(readKzGostPkcs8(kzGostPkcs8(KZ_GOST_2004, 5n, c2004)).d, 5n);
});

test('e is the digest read little-endian, reduced mod q, and 1 when that is 0 (GOST R 34.10 step 2)', () => {
  const curve = curveOf(TC26_512_A);
  assert.equal(eFromDigest(fromHex('0100'), curve), 1n);
  assert.equal(eFromDigest(fromHex('0001'), curve), 256n);
  assert.equal(eFromDigest(new Uint8Array(64), curve), 1n);
  assert.equal(eFromDigest(toLittleEndian(curve.q, 64), curve), 1n);
  assert.equal(eFromDigest(toLittleEndian(curve.q + 7n, 65), curve), 7n);
});
