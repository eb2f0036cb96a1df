import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { openSealedKey, sealKey } from './seal.ts';

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
});
