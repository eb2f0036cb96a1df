import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toBase64 } from '@qoltanba/pki';
import type { Pkcs11Tokens } from '../keystores/pkcs11-source.ts';
import { generateKeys, prepareFileKeys, type PreparedFileKeys } from './generator.ts';
import { openSealedKey } from './seal.ts';

const NO_TOKENS = {} as Pkcs11Tokens;
const REQUEST = { origin: 'https://a.example.kz', keyTypes: ['AUTHENTICATION', 'SIGNATURE'] as const, algorithm: 'RSA-2048' as const };

describe('key pairs made ahead, while the person types the new password', () => {
  test('the request gets exactly those pairs, sealed (not their wiped bytes); a second generation makes new ones', async () => {
    const pairs = await (prepareFileKeys('RSA-2048', 2).take() as NonNullable<ReturnType<PreparedFileKeys['take']>>);
    const made = pairs.map((p) => toBase64(p.signer.publicKey));
    let handedOut = false;
    const prepared: PreparedFileKeys = { algorithm: 'RSA-2048', take: () => (handedOut ? undefined : ((handedOut = true), Promise.resolve(pairs))), wipe: async () => {} };
    const first = await generateKeys({ ...REQUEST, keyTypes: [...REQUEST.keyTypes], prepared }, { kind: 'file', password: 'Ahead2025pass' }, NO_TOKENS);
    assert.deepEqual(first.keys.map((k) => k.publicKey), made);
    for (const k of first.keys) {
      const pkcs8 = await openSealedKey(k.sealed!, 'Ahead2025pass', `qoltanba-pending-key:${first.requestId}:${k.keyType}`);
      assert.ok(pkcs8.length > 1000 && pkcs8.some((b) => b !== 0));
    }
    assert.ok(pairs.every((p) => p.pkcs8.every((b) => b === 0)), 'the in-memory private keys are wiped once sealed');
    const second = await generateKeys({ ...REQUEST, keyTypes: [...REQUEST.keyTypes], prepared }, { kind: 'file', password: 'Ahead2025pass' }, NO_TOKENS);
    assert.ok(second.keys.every((k) => !made.includes(k.publicKey)), 'a second generation must not reuse the pairs');
  });

  test('take() hands the pairs out once; wipe() clears the private keys of pairs nobody used', async () => {
    const prepared = prepareFileKeys('RSA-2048', 1);
    const pairs = await (prepared.take() as NonNullable<ReturnType<PreparedFileKeys['take']>>);
    assert.equal(prepared.take(), undefined);
    assert.ok(pairs[0]?.pkcs8.some((b) => b !== 0));
    await prepared.wipe();
    assert.ok(pairs[0]?.pkcs8.every((b) => b === 0));
  });
});
