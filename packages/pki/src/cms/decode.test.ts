import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsnConvert } from '@peculiar/asn1-schema';
import { readFixture, nca } from '../../../../test/support/fixtures.ts';
import { isQtError } from '@qoltanba/errors';
import { utf8 } from '../encoding.ts';
import { decodeCms } from './decode.ts';
import { SignedDataEditor } from './edit.ts';
import { inspectDecoded } from './inspect.ts';
import { signCms } from './sign.ts';
import { SIGN_KEY_TIME, type FixtureSigner, useFixtureSigner } from './testing/helpers.ts';

const data = utf8('Заявление: decoded once\n');
let key: FixtureSigner;
useFixtureSigner((k) => (key = k), data);

/** The same CMS with its outer length written in a longer form than DER allows: only the BER road reads it. */
function asBer(der: Uint8Array): Uint8Array {
  assert.equal(der[0], 0x30);
  const n = der[1]! & 0x7f;
  assert.ok(der[1]! & 0x80 && n < 4);
  return Uint8Array.from([0x30, 0x80 | (n + 1), 0x00, ...der.subarray(2)]);
}

test('a DER CMS decodes as the tree parsers decode it, with its certificates, signed attributes and CRLs as received', async () => {
  const editor = SignedDataEditor.open(await signCms({ content: data, signer: key.signer, certificate: key.certificate, signingTime: SIGN_KEY_TIME }));
  editor.addCrls([readFixture(...nca.rsaCrl)]);
  editor.addOcspResponses([readFixture(...nca.ocspIndividualSign2004)]);
  const der = editor.toDer();
  const fast = decodeCms(der);
  const ber = decodeCms(asBer(der));
  assert.deepEqual(fast.certificateDer, [key.certificate]);
  assert.equal(ber.certificateDer, undefined, 'the BER road did not use the DER reader');
  assert.deepEqual(fast.signedAttributesDer, ber.signedAttributesDer);
  assert.deepEqual(fast.revocationInfo, ber.revocationInfo);
  assert.equal(fast.revocationInfo.length, 2);
  assert.deepEqual(new Uint8Array(AsnConvert.serialize(fast.signedData)), new Uint8Array(AsnConvert.serialize(ber.signedData)));
  assert.deepEqual(inspectDecoded(fast).report, inspectDecoded(ber).report);
});

test('a ContentInfo of another type is refused on the DER road as on the BER road', () => {
  // ContentInfo { id-data, [0] SEQUENCE { } }
  const data = Uint8Array.from([0x30, 0x11, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01, 0xa0, 0x04, 0x30, 0x02, 0x05, 0x00]);
  for (const input of [data, Uint8Array.from([0x30, 0x81, ...data.subarray(1)])]) {
    assert.throws(() => decodeCms(input), (e) => isQtError(e, 'QT_ERR_CMS_MALFORMED') && /content type is 1\.2\.840\.113549\.1\.7\.1/.test((e as Error).message));
  }
});
