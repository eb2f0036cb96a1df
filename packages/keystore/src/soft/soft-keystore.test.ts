import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gostSigner, KZ_GOST_2015_512, oid, readKzGostPkcs8, readKzGostSpki, toPem, utf8, verifySignature, type QtErrorCode } from '@qoltanba/pki';
import { openKeyStore } from '../open.ts';
import { opensslVerifiesSha256Rsa, run } from '../testing/openssl.ts';
import { decryptPkcs8Der, decryptPkcs8Pem, PBKDF2_ITERATIONS } from './encrypted-pkcs8.ts';
import { SoftKeyStore, unlockSoftKey } from './soft-keystore.ts';

const PASSPHRASE = 'Qoltanba-test-passphrase-7f3a';
const ENV = 'QOLTANBA_TEST_SOFT_PASSPHRASE';
let root: string;
let dir: string;

async function rejectsWith(promise: Promise<unknown>, code: QtErrorCode): Promise<Error> {
  let caught: unknown;
  await assert.rejects(promise, (e: unknown) => {
    caught = e;
    return (e as { code?: string }).code === code;
  });
  return caught as Error;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'qoltanba-soft-'));
  dir = join(root, 'keys');
  process.env[ENV] = PASSPHRASE;
});

after(async () => {
  delete process.env[ENV];
  await rm(root, { recursive: true, force: true });
});

describe('soft keys', () => {
  const store = (): SoftKeyStore => new SoftKeyStore({ dir, passphraseEnv: ENV });
  const data = utf8('Қолтаңба: data to sign');

  test('a created key reopens in a fresh store and its signatures verify with @qoltanba/pki and openssl', async () => {
    const created = await store().createKey('soft:issuing-ca', { algorithm: 'RSA', bits: 2048 });
    const reopened = await (await openKeyStore('soft:issuing-ca', { soft: { dir, passphraseEnv: ENV } })).signer('soft:issuing-ca');
    assert.deepEqual(reopened.publicKey, created.publicKey);
    assert.equal(reopened.algorithm.oid, '1.2.840.113549.1.1.11');
    const signature = await reopened.sign(data);
    assert.equal(await verifySignature(reopened.algorithm.oid, { spki: reopened.publicKey, data, signature }), true);
    assert.equal(await opensslVerifiesSha256Rsa(reopened.publicKey, data, signature), true);
    assert.equal(await opensslVerifiesSha256Rsa(reopened.publicKey, utf8('other data'), signature), false);
  });

  test('the key file is PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC with 600,000 iterations, mode 0600 in a 0700 directory', async () => {
    const file = join(dir, 'issuing-ca.key.pem');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    const pem = await readFile(file, 'utf8');
    assert.match(pem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    const { stdout } = await run('openssl', ['asn1parse', '-in', file]);
    assert.match(stdout, /:PBES2/);
    assert.match(stdout, /:PBKDF2/);
    assert.match(stdout, /:hmacWithSHA256/);
    assert.match(stdout, /:aes-256-cbc/);
    const iterationsHex = PBKDF2_ITERATIONS.toString(16).toUpperCase();
    assert.match(stdout, new RegExp(`INTEGER +:${iterationsHex.length % 2 ? '0' : ''}${iterationsHex}\\n`));
  });

  test('openssl opens the key file only with the passphrase, and finds the same public key', async () => {
    const file = join(dir, 'issuing-ca.key.pem');
    await assert.rejects(run('openssl', ['pkey', '-in', file, '-passin', 'pass:not-the-passphrase', '-noout']));
    const { stdout } = await run('openssl', ['pkey', '-in', file, '-passin', `env:${ENV}`, '-pubout', '-outform', 'PEM']);
    assert.equal(stdout, toPem('PUBLIC KEY', await store().publicKey('soft:issuing-ca')));
  });

  test('a wrong passphrase is refused with QT_ERR_KEY_PASSPHRASE and changes nothing on disk', async () => {
    const before = await readdir(dir);
    const contents = await readFile(join(dir, 'issuing-ca.key.pem'));
    process.env[ENV] = 'a-wrong-passphrase-entirely';
    try {
      await rejectsWith(store().signer('soft:issuing-ca'), 'QT_ERR_KEY_PASSPHRASE');
      await rejectsWith(store().createKey('soft:issuing-ca', { algorithm: 'RSA', bits: 2048 }), 'QT_ERR_KEY_EXISTS');
    } finally {
      process.env[ENV] = PASSPHRASE;
    }
    assert.deepEqual(await readdir(dir), before);
    assert.deepEqual(await readFile(join(dir, 'issuing-ca.key.pem')), contents);
  });

  test('the passphrase can come from a file (--passphrase-file), trailing newline ignored', async () => {
    const passphraseFile = join(root, 'passphrase.txt');
    await writeFile(passphraseFile, `${PASSPHRASE}\n`, { mode: 0o600 });
    const fromFile = new SoftKeyStore({ dir, passphraseFile, passphraseEnv: 'QOLTANBA_TEST_UNSET_VARIABLE' });
    assert.deepEqual(await fromFile.publicKey('soft:issuing-ca'), await store().publicKey('soft:issuing-ca'));
  });

  test('an unlocked key is a non-extractable WebCrypto key', async () => {
    const pem = await readFile(join(dir, 'issuing-ca.key.pem'), 'utf8');
    const unlocked = await unlockSoftKey(decryptPkcs8Pem(pem, PASSPHRASE));
    assert.equal(unlocked.privateKey.extractable, false);
    assert.deepEqual(unlocked.privateKey.usages, ['sign']);
    await assert.rejects(globalThis.crypto.subtle.exportKey('pkcs8', unlocked.privateKey));
    await assert.rejects(globalThis.crypto.subtle.exportKey('jwk', unlocked.privateKey));
  });

  test('a non-ASCII passphrase works and openssl agrees on its encoding (UTF-8)', async () => {
    const kazakh = 'Қазақстан-ЭЦҚ-кілті-2026';
    process.env.QOLTANBA_TEST_KAZAKH_PASSPHRASE = kazakh;
    try {
      const kzStore = new SoftKeyStore({ dir, passphraseEnv: 'QOLTANBA_TEST_KAZAKH_PASSPHRASE' });
      const signer = await kzStore.createKey('soft:kazakh-passphrase', { algorithm: 'RSA', bits: 2048 });
      const file = join(dir, 'kazakh-passphrase.key.pem');
      await run('openssl', ['pkey', '-in', file, '-passin', 'env:QOLTANBA_TEST_KAZAKH_PASSPHRASE', '-noout']);
      assert.deepEqual(await kzStore.publicKey('soft:kazakh-passphrase'), signer.publicKey);
    } finally {
      delete process.env.QOLTANBA_TEST_KAZAKH_PASSPHRASE;
    }
  });

  test('RSA-3072 and RSA-4096 keys are created at the requested size', async () => {
    for (const bits of [3072, 4096] as const) {
      const signer = await store().createKey(`soft:rsa-${bits}`, { algorithm: 'RSA', bits });
      const { stdout } = await run('openssl', ['pkey', '-in', join(dir, `rsa-${bits}.key.pem`), '-passin', `env:${ENV}`, '-text', '-noout']);
      assert.match(stdout, new RegExp(`Private-Key: \\(${bits} bit, 2 primes\\)`));
      const signature = await signer.sign(data);
      assert.equal(signature.length, bits / 8);
      assert.equal(await opensslVerifiesSha256Rsa(signer.publicKey, data, signature), true);
    }
  });

  test('bad input gets stable codes: missing key, malformed URI, wrong scheme, unsupported size, short or missing passphrase', async () => {
    await rejectsWith(store().signer('soft:no-such-key'), 'QT_ERR_KEY_NOT_FOUND');
    await rejectsWith(store().signer('soft:../etc/passwd'), 'QT_ERR_KEY_URI_MALFORMED');
    await rejectsWith(store().signer('soft:'), 'QT_ERR_KEY_URI_MALFORMED');
    await rejectsWith(store().signer('pkcs11:object=x'), 'QT_ERR_KEY_URI_SCHEME');
    await rejectsWith(store().createKey('soft:small', { algorithm: 'RSA', bits: 1024 as 2048 }), 'QT_ERR_ALGORITHM_UNSUPPORTED');
    process.env.QOLTANBA_TEST_SHORT_PASSPHRASE = 'short';
    try {
      await rejectsWith(
        new SoftKeyStore({ dir, passphraseEnv: 'QOLTANBA_TEST_SHORT_PASSPHRASE' }).createKey('soft:weak', { algorithm: 'RSA', bits: 2048 }),
        'QT_ERR_PASSPHRASE_WEAK',
      );
    } finally {
      delete process.env.QOLTANBA_TEST_SHORT_PASSPHRASE;
    }
    const missing = await rejectsWith(
      new SoftKeyStore({ dir, passphraseEnv: 'QOLTANBA_TEST_UNSET_VARIABLE' }).signer('soft:issuing-ca'),
      'QT_ERR_SECRET_MISSING',
    );
    assert.match(missing.message, /QOLTANBA_TEST_UNSET_VARIABLE/);
    await rejectsWith(
      new SoftKeyStore({ dir, passphraseFile: join(root, 'no-such-file') }).signer('soft:issuing-ca'),
      'QT_ERR_SECRET_MISSING',
    );
    assert.equal(await store().exists('soft:weak'), false);
  });

  test('a file that is not an encrypted PKCS#8 key is QT_ERR_KEY_FILE_MALFORMED', async () => {
    await writeFile(join(dir, 'plain.key.pem'), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', { mode: 0o600 });
    await rejectsWith(store().signer('soft:plain'), 'QT_ERR_KEY_FILE_MALFORMED');
    await writeFile(join(dir, 'truncated.key.pem'), '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBO\n-----END ENCRYPTED PRIVATE KEY-----\n', {
      mode: 0o600,
    });
    await rejectsWith(store().signer('soft:truncated'), 'QT_ERR_KEY_FILE_MALFORMED');
  });

  test('key files or directories open to other users are refused', async () => {
    const laxFile = join(dir, 'issuing-ca.key.pem');
    await chmod(laxFile, 0o644);
    try {
      await rejectsWith(store().signer('soft:issuing-ca'), 'QT_ERR_KEYSTORE_CONFIG');
    } finally {
      await chmod(laxFile, 0o600);
    }
    const laxDir = join(root, 'lax');
    await mkdir(laxDir, { mode: 0o755 });
    await chmod(laxDir, 0o755);
    await rejectsWith(new SoftKeyStore({ dir: laxDir, passphraseEnv: ENV }).createKey('soft:k', { algorithm: 'RSA', bits: 2048 }), 'QT_ERR_KEYSTORE_CONFIG');
    assert.deepEqual(await readdir(laxDir), []);
  });

  test('keys are listed by URI and can be deleted', async () => {
    const s = store();
    const uris = (await s.listKeys()).map((k) => k.uri);
    assert.ok(uris.includes('soft:issuing-ca'));
    assert.ok(uris.includes('soft:rsa-4096'));
    await s.deleteKey('soft:rsa-4096');
    assert.equal(await s.exists('soft:rsa-4096'), false);
    await rejectsWith(s.deleteKey('soft:rsa-4096'), 'QT_ERR_KEY_NOT_FOUND');
  });

  test('a closed store and its signers refuse further work', async () => {
    const s = store();
    const signer = await s.signer('soft:issuing-ca');
    await s.close();
    await rejectsWith(signer.sign(data), 'QT_ERR_KEYSTORE_CLOSED');
    await rejectsWith(s.signer('soft:issuing-ca'), 'QT_ERR_KEYSTORE_CLOSED');
  });

  test('the passphrase appears in no error and no output, whatever goes wrong', async () => {
    // A child process runs every path, printing each error with util.inspect (message, stack, details, causes).
    const script = `
      import { inspect } from 'node:util';
      import { SoftKeyStore } from './packages/keystore/src/soft/soft-keystore.ts';
      const store = (env) => new SoftKeyStore({ dir: process.argv[1], passphraseEnv: env });
      const attempts = [
        () => store('GOOD').createKey('soft:leak-check', { algorithm: 'RSA', bits: 2048 }),
        () => store('GOOD').createKey('soft:leak-check', { algorithm: 'RSA', bits: 2048 }),
        () => store('WRONG').signer('soft:leak-check'),
        () => store('SHORT').createKey('soft:leak-short', { algorithm: 'RSA', bits: 2048 }),
        () => store('GOOD').signer('soft:../../leak'),
      ];
      for (const attempt of attempts) {
        try { const r = await attempt(); console.log(inspect(r, { depth: 5 })); }
        catch (e) { console.error(inspect(e, { depth: 10 })); console.error(JSON.stringify(e)); }
      }
    `;
    const secretGood = 'Leak-check-passphrase-GOOD-91c2';
    const secretWrong = 'Leak-check-passphrase-WRONG-44d7';
    const secretShort = 'Shrt-9x';
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], {
      cwd: join(import.meta.dirname, '../../../..'),
      env: { ...process.env, GOOD: secretGood, WRONG: secretWrong, SHORT: secretShort },
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, result.stderr);
    const output = result.stdout + result.stderr;
    assert.match(output, /QT_ERR_KEY_EXISTS/);
    assert.match(output, /QT_ERR_KEY_PASSPHRASE/);
    assert.match(output, /QT_ERR_PASSPHRASE_WEAK/);
    assert.match(output, /QT_ERR_KEY_URI_MALFORMED/);
    for (const secret of [secretGood, secretWrong, secretShort]) assert.equal(output.includes(secret), false, 'a passphrase leaked');
  });
});

describe('soft GOST keys (a GOST CA key)', () => {
  const store = (): SoftKeyStore => new SoftKeyStore({ dir, passphraseEnv: ENV });
  const data = utf8('Қолтаңба: GOST data to sign');

  test('a GOST-2015-512 key is created, reopens in a fresh store, and signs what the pki verifier accepts', async () => {
    const created = await store().createKey('soft:gost-issuing-ca', { algorithm: 'GOST-2015-512' });
    assert.equal(created.algorithm.oid, oid.kzGost2015_512Sign);
    assert.equal(readKzGostSpki(created.publicKey).algorithm, KZ_GOST_2015_512);
    const reopened = await (await openKeyStore('soft:gost-issuing-ca', { soft: { dir, passphraseEnv: ENV } })).signer('soft:gost-issuing-ca');
    assert.deepEqual(reopened.publicKey, created.publicKey);
    assert.deepEqual(await store().publicKey('soft:gost-issuing-ca'), created.publicKey);
    const signature = await reopened.sign(data);
    assert.equal(await verifySignature(oid.kzGost2015_512Sign, { spki: created.publicKey, data, signature }), true);
    assert.equal(await verifySignature(oid.kzGost2015_512Sign, { spki: created.publicKey, data: utf8('other'), signature }), false);
  });

  test('the GOST key file is the same PBES2/AES-256 envelope (openssl reads the envelope), holding NCA’s PKCS#8 layout', async () => {
    const file = join(dir, 'gost-issuing-ca.key.pem');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const { stdout } = await run('openssl', ['asn1parse', '-in', file]);
    assert.match(stdout, /:PBES2/);
    assert.match(stdout, /:hmacWithSHA256/);
    assert.match(stdout, /:aes-256-cbc/);
    const pkcs8 = await decryptPkcs8Der(await readFile(file, 'utf8'), PASSPHRASE);
    const key = readKzGostPkcs8(pkcs8);
    assert.equal(key.algorithm, KZ_GOST_2015_512);
    assert.deepEqual(gostSigner(pkcs8).publicKey, await store().publicKey('soft:gost-issuing-ca'));
  });

  test('a wrong passphrase on a GOST key is QT_ERR_KEY_PASSPHRASE, and RSA keys still open through the same path', async () => {
    process.env[ENV] = 'a-wrong-passphrase-entirely';
    try {
      await rejectsWith(store().signer('soft:gost-issuing-ca'), 'QT_ERR_KEY_PASSPHRASE');
    } finally {
      process.env[ENV] = PASSPHRASE;
    }
    const rsa = await store().signer('soft:issuing-ca');
    assert.equal(rsa.algorithm.oid, oid.sha256WithRsa);
    assert.equal(await opensslVerifiesSha256Rsa(rsa.publicKey, data, await rsa.sign(data)), true);
    assert.ok((await store().listKeys()).some((k) => k.uri === 'soft:gost-issuing-ca'));
  });
});
