import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { describePublicKey, toPem, utf8, verifySignature, type QtErrorCode } from '@qoltanba/pki';
import { openKeyStore } from '../open.ts';
import { opensslVerifiesSha256Rsa, run } from '../testing/openssl.ts';
import { createSoftHsm, type SoftHsm, type SoftHsmToken } from '../testing/softhsm.ts';
import { acquireModule, p11 } from './module.ts';
import { findPrivateKey, readAttribute, readFlag } from './objects.ts';
import { formatPkcs11Uri } from './pkcs11-uri.ts';
import { Pkcs11KeyStore } from './pkcs11-keystore.ts';
import { listTokens } from './tokens.ts';

let hsm: SoftHsm;
let ca: SoftHsmToken;
let second: SoftHsmToken;
let work: string;
const data = utf8('Сертификат подписан на токене');

async function rejectsWith(promise: Promise<unknown>, code: QtErrorCode): Promise<Error> {
  let caught: unknown;
  await assert.rejects(promise, (e: unknown) => {
    caught = e;
    return (e as { code?: string }).code === code;
  });
  return caught as Error;
}

/** A certificate for `spki`, signed by a throwaway openssl key: the token key's certificate as a CA would issue it. */
async function certificateFor(spki: Uint8Array, subject: string): Promise<Uint8Array> {
  const pub = join(work, 'subject.pub.pem');
  await writeFile(pub, toPem('PUBLIC KEY', spki));
  await writeFile(join(work, 'ext.cnf'), 'subjectKeyIdentifier=hash\n');
  await run('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', join(work, 'issuer.key')]);
  const out = join(work, 'cert.der');
  await run('openssl', [
    'x509', '-new', '-key', join(work, 'issuer.key'), '-force_pubkey', pub, '-subj', subject, '-days', '30',
    '-extfile', join(work, 'ext.cnf'), '-outform', 'DER', '-out', out,
  ]);
  return new Uint8Array(await readFile(out));
}

function pkcs11Tool(token: SoftHsmToken, ...args: string[]): Promise<{ stdout: string }> {
  return run('pkcs11-tool', ['--module', hsm.modulePath, '--token-label', token.label, '--login', '--pin', token.pin, ...args], {
    env: hsm.env,
  });
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'qoltanba-p11-work-'));
  hsm = await createSoftHsm();
  ca = await hsm.initToken({ label: 'Qoltanba CA', pin: '246813' });
  second = await hsm.initToken({ label: 'Qoltanba Second', pin: '135792' });
});

after(async () => {
  await hsm.cleanup();
  await rm(work, { recursive: true, force: true });
});

describe('PKCS#11 keys on a SoftHSM2 token', () => {
  test('listTokens shows the test tokens with label, serial, manufacturer and presence', async () => {
    const tokens = await listTokens(hsm.modulePath);
    const token = tokens.find((t) => t.label === 'Qoltanba CA');
    assert.ok(token, 'the test token is listed');
    assert.equal(token.present, true);
    assert.equal(token.initialized, true);
    assert.equal(token.loginRequired, true);
    assert.equal(token.manufacturer, 'SoftHSM project');
    assert.match(token.serial ?? '', /^[0-9a-f]{16}$/);
    assert.equal(token.uri, `pkcs11:token=Qoltanba%20CA;manufacturer=SoftHSM%20project;serial=${token.serial};model=SoftHSM%20v2`);
    assert.ok(tokens.some((t) => t.label === 'Qoltanba Second'));
    // SoftHSM always offers one more, uninitialized token: listed, but with no URI to address it by.
    assert.ok(tokens.some((t) => t.present && t.initialized === false && t.uri === undefined));
  });

  test('RSA-4096 and RSA-2048 keys are generated on the token and their signatures verify with openssl', async () => {
    const store = await openKeyStore(ca.uri());
    try {
      for (const bits of [4096, 2048] as const) {
        const uri = ca.uri(`rsa-${bits}`);
        const signer = await store.createKey(uri, { algorithm: 'RSA', bits });
        assert.equal(describePublicKey(signer.publicKey).bits, bits);
        assert.equal(describePublicKey(signer.publicKey).exponent, 65537);
        const signature = await signer.sign(data);
        assert.equal(signature.length, bits / 8);
        assert.equal(await opensslVerifiesSha256Rsa(signer.publicKey, data, signature), true);
        assert.equal(await verifySignature(signer.algorithm.oid, { spki: signer.publicKey, data, signature }), true);
        assert.equal(await opensslVerifiesSha256Rsa(signer.publicKey, utf8('tampered'), signature), false);
        assert.deepEqual(await store.publicKey(uri), signer.publicKey);
      }
    } finally {
      await store.close();
    }
  });

  test('a key reopened through a fresh store (URI with module-path and pin-source) signs with the same key', async () => {
    const store = await openKeyStore(ca.uri('rsa-2048'));
    try {
      const signer = await store.signer(ca.uri('rsa-2048'));
      const signature = await signer.sign(data);
      assert.equal(await opensslVerifiesSha256Rsa(signer.publicKey, data, signature), true);
      assert.equal(await store.exists(ca.uri('rsa-2048')), true);
      assert.equal(await store.exists(ca.uri('no-such-key')), false);
    } finally {
      await store.close();
    }
  });

  test('token keys are sensitive and never extractable: attribute reads and a wrap (export) attempt fail', async () => {
    const store = await openKeyStore(ca.uri());
    const module = acquireModule(hsm.modulePath);
    const api = module.api;
    // A session of our own on the same (already logged-in) token, working with raw pkcs11js.
    const slot = api.C_GetSlotList(true).find((h) => api.C_GetTokenInfo(h).label.trim() === ca.label);
    assert.ok(slot);
    const session = api.C_OpenSession(slot, p11.CKF_SERIAL_SESSION | p11.CKF_RW_SESSION);
    try {
      const key = findPrivateKey(api, session, { object: 'rsa-4096' });
      assert.equal(readFlag(api, session, key.handle, p11.CKA_EXTRACTABLE), false);
      assert.equal(readFlag(api, session, key.handle, p11.CKA_SENSITIVE), true);
      assert.equal(readFlag(api, session, key.handle, p11.CKA_NEVER_EXTRACTABLE), true);
      assert.equal(readFlag(api, session, key.handle, p11.CKA_ALWAYS_SENSITIVE), true);
      assert.equal(readFlag(api, session, key.handle, p11.CKA_DECRYPT), false);
      assert.throws(() => readAttribute(api, session, key.handle, p11.CKA_PRIVATE_EXPONENT), /CKR_ATTRIBUTE_SENSITIVE/);
      assert.throws(() => readAttribute(api, session, key.handle, p11.CKA_PRIME_1), /CKR_ATTRIBUTE_SENSITIVE/);

      // Export attempt: wrap the key under a fresh AES key. The same wrap of an extractable session key
      // succeeds, so the refusal is the key's attributes at work, not a mechanism SoftHSM lacks.
      const wrappingKey = api.C_GenerateKey(session, { mechanism: p11.CKM_AES_KEY_GEN }, [
        { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
        { type: p11.CKA_KEY_TYPE, value: p11.CKK_AES },
        { type: p11.CKA_VALUE_LEN, value: 32 },
        { type: p11.CKA_TOKEN, value: false },
        { type: p11.CKA_WRAP, value: true },
      ]);
      const wrap = (target: Buffer): Buffer =>
        api.C_WrapKey(session, { mechanism: p11.CKM_AES_KEY_WRAP_PAD }, wrappingKey, target, Buffer.alloc(8192));
      assert.throws(() => wrap(key.handle), /CKR_KEY_UNEXTRACTABLE/);
      const extractable = api.C_GenerateKeyPair(
        session,
        { mechanism: p11.CKM_RSA_PKCS_KEY_PAIR_GEN },
        [{ type: p11.CKA_TOKEN, value: false }, { type: p11.CKA_MODULUS_BITS, value: 2048 }, { type: p11.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) }],
        [{ type: p11.CKA_TOKEN, value: false }, { type: p11.CKA_SENSITIVE, value: true }, { type: p11.CKA_EXTRACTABLE, value: true }],
      );
      assert.ok(wrap(extractable.privateKey).length > 1000);
    } finally {
      api.C_CloseSession(session);
      module.release();
      await store.close();
    }
    // An independent tool reads the same attributes.
    const { stdout } = await pkcs11Tool(ca, '--list-objects', '--type', 'privkey');
    const entry = stdout.split(/(?=Private Key Object)/).find((block) => block.includes('label:      rsa-4096'));
    assert.ok(entry, stdout);
    assert.match(entry, /Access:\s+sensitive, always sensitive, never extractable, local/);
  });

  test('concurrent signatures on one store are all correct (one Cryptoki operation per session at a time)', async () => {
    const store = await openKeyStore(ca.uri());
    try {
      const signer = await store.signer(ca.uri('rsa-2048'));
      const messages = Array.from({ length: 12 }, (_, i) => utf8(`message ${i}`));
      const signatures = await Promise.all(messages.map((m) => signer.sign(m)));
      for (const [i, signature] of signatures.entries()) {
        const message = messages[i] as Uint8Array;
        assert.equal(await verifySignature(signer.algorithm.oid, { spki: signer.publicKey, data: message, signature }), true);
      }
    } finally {
      await store.close();
    }
  });

  test('a certificate stored next to a key is found again, paired by CKA_ID = the certificate SKI', async () => {
    const store = (await openKeyStore(ca.uri())) as Pkcs11KeyStore;
    try {
      const keyUri = ca.uri('rsa-4096');
      assert.equal(await store.certificate(keyUri), undefined);
      const certificate = await certificateFor(await store.publicKey(keyUri), '/CN=Qoltanba Test Issuing CA');
      await store.storeCertificate(keyUri, certificate);
      await store.storeCertificate(keyUri, certificate); // storing the same certificate twice keeps one copy
      assert.deepEqual(await store.certificate(keyUri), certificate);

      const listing = (await store.listKeys()).find((k) => k.label === 'rsa-4096');
      assert.ok(listing);
      assert.deepEqual(listing.certificate, certificate);
      await writeFile(join(work, 'stored.der'), certificate);
      const { stdout: ski } = await run('openssl', ['x509', '-inform', 'DER', '-in', join(work, 'stored.der'), '-noout', '-ext', 'subjectKeyIdentifier']);
      assert.equal(listing.id, ski.split('\n')[1]?.trim().replace(/:/g, '').toLowerCase());

      // A renewed certificate for the same key replaces the old one.
      const renewed = await certificateFor(await store.publicKey(keyUri), '/CN=Qoltanba Test Issuing CA (renewed)');
      await store.storeCertificate(keyUri, renewed, { label: 'issuing-ca-2026' });
      assert.deepEqual(await store.certificate(keyUri), renewed);

      const { stdout } = await pkcs11Tool(ca, '--list-objects', '--type', 'cert');
      const certificates = stdout.split(/(?=Certificate Object)/).filter((b) => b.startsWith('Certificate Object'));
      assert.equal(certificates.length, 1, stdout);
      assert.match(certificates[0] as string, new RegExp(`ID:\\s+${listing.id}`));
      assert.match(certificates[0] as string, /label:\s+issuing-ca-2026/);

      const foreign = await certificateFor(await store.publicKey(ca.uri('rsa-2048')), '/CN=Another key');
      await rejectsWith(store.storeCertificate(keyUri, foreign), 'QT_ERR_KEY_MISMATCH');
      await rejectsWith(store.storeCertificate(keyUri, utf8('not a certificate')), 'QT_ERR_CERT_MALFORMED');
    } finally {
      await store.close();
    }
  });

  test('listKeys gives URIs that name each key on this token', async () => {
    const store = (await openKeyStore(ca.uri())) as Pkcs11KeyStore;
    try {
      const keys = await store.listKeys();
      assert.deepEqual(keys.map((k) => k.label).sort(), ['rsa-2048', 'rsa-4096']);
      for (const key of keys) {
        assert.match(key.uri, /^pkcs11:token=Qoltanba%20CA;.*;object=rsa-\d+;id=(%[0-9A-F]{2}){20};type=private$/);
        assert.deepEqual(await store.publicKey(key.uri), key.publicKey);
      }
    } finally {
      await store.close();
    }
  });

  test('bad input gets stable codes: unknown token, unknown object, taken label, unnamed key, another token, missing module', async () => {
    const unknownToken = formatPkcs11Uri({ token: 'No Such Token', modulePath: hsm.modulePath, pinSource: `file:${ca.pinFile}` });
    await rejectsWith(openKeyStore(unknownToken), 'QT_ERR_TOKEN_NOT_FOUND');
    await rejectsWith(openKeyStore(`pkcs11:token=Qoltanba%20CA?module-path=${join(work, 'missing.so')}`), 'QT_ERR_PKCS11_MODULE');
    await rejectsWith(openKeyStore('pkcs11:objekt=typo'), 'QT_ERR_KEY_URI_MALFORMED');
    // No token named: SoftHSM has two initialized ones here.
    await rejectsWith(openKeyStore(`pkcs11:?module-path=${hsm.modulePath}`), 'QT_ERR_TOKEN_AMBIGUOUS');

    const store = await openKeyStore(ca.uri());
    try {
      await rejectsWith(store.signer(ca.uri('no-such-key')), 'QT_ERR_KEY_NOT_FOUND');
      await rejectsWith(store.signer('pkcs11:id=%01%02'), 'QT_ERR_KEY_NOT_FOUND');
      await rejectsWith(store.createKey(ca.uri('rsa-2048'), { algorithm: 'RSA', bits: 2048 }), 'QT_ERR_KEY_EXISTS');
      await rejectsWith(store.createKey(ca.uri('small'), { algorithm: 'RSA', bits: 1024 as 2048 }), 'QT_ERR_ALGORITHM_UNSUPPORTED');
      await rejectsWith(store.signer(ca.uri()), 'QT_ERR_KEY_URI_MALFORMED');
      await rejectsWith(store.signer('pkcs11:object=rsa-2048;type=cert'), 'QT_ERR_KEY_URI_MALFORMED');
      await rejectsWith(store.signer(second.uri('rsa-2048')), 'QT_ERR_TOKEN_NOT_FOUND');
      await rejectsWith(store.signer('soft:rsa-2048'), 'QT_ERR_KEY_URI_SCHEME');
    } finally {
      await store.close();
    }
  });

  test('a wrong PIN is refused with QT_ERR_PIN_INCORRECT, a missing one with QT_ERR_SECRET_MISSING; neither shows the PIN', async () => {
    const wrongPin = '999111';
    const wrong = formatPkcs11Uri({ token: second.label, modulePath: hsm.modulePath }) + `&pin-value=${wrongPin}`;
    const error = await rejectsWith(openKeyStore(wrong, { pkcs11: { allowPinValue: true } }), 'QT_ERR_PIN_INCORRECT');
    assert.equal(inspect(error, { depth: 10 }).includes(wrongPin), false);
    assert.equal(JSON.stringify(error).includes(wrongPin), false);

    // pin-value is for tests only: refused unless allowed.
    await rejectsWith(openKeyStore(wrong), 'QT_ERR_KEYSTORE_CONFIG');
    const unset = formatPkcs11Uri({ token: second.label, modulePath: hsm.modulePath, pinSource: 'env:QOLTANBA_TEST_UNSET_PIN' });
    await rejectsWith(openKeyStore(unset), 'QT_ERR_SECRET_MISSING');
    await rejectsWith(openKeyStore(formatPkcs11Uri({ token: second.label, modulePath: hsm.modulePath })), 'QT_ERR_SECRET_MISSING');

    // The PIN from an environment variable (pin-source=env:) opens the token; a wrong attempt did not lock it.
    process.env.QOLTANBA_TEST_SECOND_PIN = second.pin;
    try {
      const right = formatPkcs11Uri({ token: second.label, modulePath: hsm.modulePath, pinSource: 'env:QOLTANBA_TEST_SECOND_PIN' });
      const store = await openKeyStore(right);
      await store.createKey(second.uri('env-pin-key'), { algorithm: 'RSA', bits: 2048 });
      await store.close();
    } finally {
      delete process.env.QOLTANBA_TEST_SECOND_PIN;
    }
    const unknownWithPin = formatPkcs11Uri({ token: 'Nowhere', modulePath: hsm.modulePath }) + `&pin-value=${wrongPin}`;
    const notFound = await rejectsWith(openKeyStore(unknownWithPin, { pkcs11: { allowPinValue: true } }), 'QT_ERR_TOKEN_NOT_FOUND');
    assert.equal(inspect(notFound, { depth: 10 }).includes(wrongPin), false);
  });

  test('a deleted key is gone from the token together with its public key object', async () => {
    const store = (await openKeyStore(second.uri())) as Pkcs11KeyStore;
    try {
      const uri = second.uri('env-pin-key');
      await store.deleteKey(uri);
      assert.equal(await store.exists(uri), false);
      await rejectsWith(store.deleteKey(uri), 'QT_ERR_KEY_NOT_FOUND');
    } finally {
      await store.close();
    }
    const { stdout } = await pkcs11Tool(second, '--list-objects');
    assert.equal(stdout.includes('env-pin-key'), false, stdout);
  });

  test('a closed store and its signers refuse work; closing twice is harmless', async () => {
    const store = await openKeyStore(ca.uri());
    const signer = await store.signer(ca.uri('rsa-2048'));
    await store.close();
    await store.close();
    await rejectsWith(signer.sign(data), 'QT_ERR_KEYSTORE_CLOSED');
    await rejectsWith(store.exists(ca.uri('rsa-2048')), 'QT_ERR_KEYSTORE_CLOSED');
  });

  test('a process that signed on the token and closed its store exits by itself', () => {
    const script = `
      import { openKeyStore } from './packages/keystore/src/index.ts';
      const uri = process.argv[1];
      const store = await openKeyStore(uri);
      const signer = await store.signer(uri);
      await signer.sign(new Uint8Array([1, 2, 3]));
      await store.close();
      console.log('signed and closed');
    `;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ca.uri('rsa-2048')], {
      cwd: join(import.meta.dirname, '../../../..'),
      env: hsm.env,
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(result.signal, null, 'the process had to be killed');
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'signed and closed');
  });
});
