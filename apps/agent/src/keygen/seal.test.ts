import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { deriveSealingKey, OpenedKeys, openSealedKey, sealKey, sealWith } from './seal.ts';

describe('sealing a pending private key', () => {
  test('opens only with the same password and context; the ciphertext reveals nothing of the key', async () => {
    const pkcs8 = randomBytes(1200);
    const box = await sealKey(pkcs8, 'Qoltanba2025', 'req-1:SIGNATURE');
    assert.ok(!Buffer.from(box.ciphertext, 'base64').includes(pkcs8.subarray(0, 16)));
    assert.deepEqual(Buffer.from(await openSealedKey(box, 'Qoltanba2025', 'req-1:SIGNATURE')), pkcs8);
    await assert.rejects(openSealedKey(box, 'Qoltanba2026', 'req-1:SIGNATURE'), { code: 'QT_ERR_PKCS12_PASSWORD' });
    // A box moved to another request or key type does not open, even with the right password.
    await assert.rejects(openSealedKey(box, 'Qoltanba2025', 'req-2:SIGNATURE'), { code: 'QT_ERR_PKCS12_PASSWORD' });
    await assert.rejects(openSealedKey({ ...box, tag: Buffer.alloc(16).toString('base64') }, 'Qoltanba2025', 'req-1:SIGNATURE'));
  });

  test('each seal uses fresh salt and IV', async () => {
    const a = await sealKey(Buffer.from('k'), 'Qoltanba2025', 'c');
    const b = await sealKey(Buffer.from('k'), 'Qoltanba2025', 'c');
    assert.notEqual(a.salt, b.salt);
    assert.notEqual(a.iv, b.iv);
  });

  test('the keys of one request share one derivation (same salt, own IV) and each opens only in its own context', async () => {
    const sealing = await deriveSealingKey('Qoltanba2025');
    const auth = sealWith(sealing, Buffer.from('auth key'), 'req-1:AUTHENTICATION');
    const sign = sealWith(sealing, Buffer.from('sign key'), 'req-1:SIGNATURE');
    sealing.wipe();
    assert.ok(sealing.key.every((b) => b === 0), 'the derived key is wiped');
    assert.equal(auth.salt, sign.salt);
    assert.notEqual(auth.iv, sign.iv);
    const opened = new OpenedKeys();
    assert.deepEqual(Buffer.from(await openSealedKey(auth, 'Qoltanba2025', 'req-1:AUTHENTICATION', opened)), Buffer.from('auth key'));
    assert.deepEqual(Buffer.from(await openSealedKey(sign, 'Qoltanba2025', 'req-1:SIGNATURE', opened)), Buffer.from('sign key'));
    await assert.rejects(openSealedKey(auth, 'Qoltanba2025', 'req-1:SIGNATURE', opened), { code: 'QT_ERR_PKCS12_PASSWORD' });
    await opened.wipe();
    await assert.rejects(openSealedKey(sign, 'Qoltanba2026', 'req-1:SIGNATURE', new OpenedKeys()), { code: 'QT_ERR_PKCS12_PASSWORD' });
  });
});
