import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prod2018 } from '../../../../test/support/fixtures.ts';
import { fromHex } from '../encoding.ts';
import { isQtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { keyFileName } from './file-name.ts';

test("key-file names match NCA's production files", () => {
  assert.equal(keyFileName('AUTH', oid.rsaEncryption, '6b361b864c679601b652fe387f61fcd9303c0327'), prod2018.authKey[1]);
  assert.equal(keyFileName('SIGN', oid.rsaEncryption, '8426360556902CE4AC33977836F873E1DC190976'), prod2018.signKey[1]);
  assert.equal(keyFileName('SIGN', oid.kzGost2004Key, fromHex('f8a422238209b6e753116431b69b09178f14e9d7')), prod2018.gostKey[1]);
});

test('GOST 34.10-2015 keys are named GOST512', () => {
  assert.equal(keyFileName('SIGN', oid.kzGost2015_512Key, '8ff06211dc82beb00253ffa000f1de84abef454f'), 'GOST512_8ff06211dc82beb00253ffa000f1de84abef454f.p12');
  assert.equal(keyFileName('AUTH', oid.kzGost2015_512Key, 'ab'), 'AUTH_GOST512_ab.p12');
});

test('algorithms NCA has no name for, and SKIs that are not hex, are refused', () => {
  assert.throws(() => keyFileName('SIGN', oid.ecPublicKey, 'ab'), (e) => isQtError(e, 'QT_ERR_ALGORITHM_UNSUPPORTED'));
  assert.throws(() => keyFileName('SIGN', oid.rsaEncryption, '../etc/passwd'), (e) => isQtError(e, 'QT_ERR_INPUT_INVALID'));
  assert.throws(() => keyFileName('SIGN', oid.rsaEncryption, ''), (e) => isQtError(e, 'QT_ERR_INPUT_INVALID'));
});
