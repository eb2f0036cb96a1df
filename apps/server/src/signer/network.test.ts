import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, CertificateList } from '@peculiar/asn1-x509';
import { derFrom, isQtError, parseTimeStampToken, prepareTimeStamping, readTimeStampRequest, toArrayBuffer, verifyCms, verifySignature, oid } from '@qoltanba/pki';
import { readFixture, nca } from '../../../../test/support/fixtures.ts';
import { createHttpApp } from '../http/app.ts';
import { defaultConfig } from '../config.ts';
import { silentLogger, type ServerContext } from '../context.ts';
import { describeEachBackend } from '../store/testing/backends.ts';
import { runCeremony } from '../ca/ceremony.ts';
import { defaultCeremonyConfig, tsaPlanFor } from '../ca/ceremony-config.ts';
import { testRequest } from '@qoltanba/pki/testing';
import { InProcessSignerProvider } from './in-process.ts';
import { NetworkSignerProvider } from './network.ts';
import { signerRoutes } from './routes.ts';
import { checkpointMessage } from '../audit/checkpoints/format.ts';

const PASSPHRASE_ENV = 'QT_TEST_REMOTE_SIGNER_PASSPHRASE';
process.env[PASSPHRASE_ENV] = 'network signer test passphrase';

const crlTbs = () => new Uint8Array(AsnConvert.serialize(AsnConvert.parse(toArrayBuffer(readFixture(...nca.rsaCrl)), CertificateList).tbsCertList));
const certTbs = () => new Uint8Array(AsnConvert.serialize(AsnConvert.parse(toArrayBuffer(derFrom(readFixture(...nca.signCert))), Certificate).tbsCertificate));

describeEachBackend('signer as its own process (internal API)', (db) => {
  let home: string;
  let url: string;
  let tokenFile: string;
  let close: () => Promise<void>;
  let issuingKey: string;
  let tsaKey: string;

  // The harness opens its database in its own first test, so setup that needs the database is a test too.
  test('the signer process starts over the CA keys a ceremony created', async () => {
    home = mkdtempSync(join(tmpdir(), 'qt-network-signer-'));
    const keystore = { soft: { dir: join(home, 'keys'), passphraseEnv: PASSPHRASE_ENV } };
    const ceremony = defaultCeremonyConfig();
    ceremony.root.key.bits = 2048;
    ceremony.issuing[0]!.key.bits = 2048;
    ceremony.issuing[0]!.ocsp.key.bits = 2048;
    issuingKey = ceremony.issuing[0]!.key.uri;
    ceremony.issuing[0]!.tsa = { ...tsaPlanFor(ceremony.issuing[0]!), key: { uri: 'soft:tsa-rsa', bits: 2048 } };
    tsaKey = 'soft:tsa-rsa';
    await runCeremony({ db: db.store.db, keystore, config: ceremony, publicUrl: 'http://127.0.0.1:8080', home });
    const config = { ...defaultConfig(home), roles: ['signer' as const] };
    const ctx: ServerContext = { config, store: db.store, signers: new InProcessSignerProvider(keystore), log: silentLogger, now: () => new Date() };
    const app = createHttpApp({ bodyLimit: 1 << 20 });
    await app.register(signerRoutes, { ctx, keystore, token: 'the-signer-token-for-tests' });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    tokenFile = join(home, 'token');
    writeFileSync(tokenFile, 'the-signer-token-for-tests\n');
    close = async () => {
      await app.close();
      await ctx.signers.close();
    };
  });
  after(async () => {
    await close?.();
    rmSync(home, { recursive: true, force: true });
  });

  test('signs a CRL for a registered CA key; the signature verifies with the public key it reports', async () => {
    const network = new NetworkSignerProvider({ url, tokenFile });
    const signer = await network.signerFor(issuingKey, 'crl');
    const tbs = crlTbs();
    const signature = await signer.sign(tbs);
    assert.equal(await verifySignature(signer.algorithm.oid, { spki: signer.publicKey, data: tbs, signature }), true);
  });

  test('refuses a structure of another purpose, an unregistered key and a wrong token', async () => {
    const network = new NetworkSignerProvider({ url, tokenFile });
    const forCrl = await network.signerFor(issuingKey, 'crl');
    await assert.rejects(forCrl.sign(certTbs()), (e) => isQtError(e, 'QT_ERR_SIGNING_REFUSED'));
    await assert.rejects(network.signerFor('soft:not-a-ca-key', 'crl'), (e) => isQtError(e, 'QT_ERR_SIGNING_REFUSED'));
    const wrongTokenFile = join(home, 'wrong');
    writeFileSync(wrongTokenFile, 'guess');
    await assert.rejects(new NetworkSignerProvider({ url, tokenFile: wrongTokenFile }).signerFor(issuingKey, 'crl'), (e) => isQtError(e, 'QT_ERR_SIGNER_UNAUTHORIZED'));
  });

  test('the TSA key signs time-stamps through the signer process, and only time-stamps; no other key signs them', async () => {
    const network = new NetworkSignerProvider({ url, tokenFile });
    const row = await db.store.db.selectFrom('tsa_signers').select('certificate').where('key_uri', '=', tsaKey).executeTakeFirstOrThrow();
    const stamper = prepareTimeStamping({ certificate: new Uint8Array(row.certificate), signer: await network.signerFor(tsaKey, 'timestamp') });
    const request = readTimeStampRequest(testRequest(), { acceptedHashes: new Set([oid.sha256]) });
    const { token } = await stamper.stamp({ messageImprintDer: request.messageImprintDer, policy: oid.policyQoltanbaTsa, serial: Uint8Array.of(7), genTime: new Date(), certReq: true });
    assert.equal((await verifyCms(token)).signers[0]?.signingCertificateV2Matches, true);
    assert.equal(parseTimeStampToken(token).serialNumber, '07');

    const refused = (e: unknown) => isQtError(e, 'QT_ERR_SIGNING_REFUSED');
    // The TSA key opened for another purpose, a CA key opened for time-stamps: refused before any signature.
    await assert.rejects(network.signerFor(tsaKey, 'certificate'), refused);
    await assert.rejects(network.signerFor(tsaKey, 'crl'), refused);
    await assert.rejects(network.signerFor(issuingKey, 'timestamp'), refused);
    // And a time-stamp key handed a certificate's TBS refuses it.
    await assert.rejects((await network.signerFor(tsaKey, 'timestamp')).sign(certTbs()), refused);
  });

  test('the audit checkpoint key signs checkpoint messages and nothing else; CA keys never sign checkpoints', async () => {
    const network = new NetworkSignerProvider({ url, tokenFile });
    const auditKey = 'soft:audit-checkpoints';
    const forCheckpoints = await network.signerFor(auditKey, 'audit-checkpoint');
    const message = checkpointMessage({ seq: 12n, hash: 'ab'.repeat(32), at: new Date('2026-05-20T10:15:00.000Z') });
    const signature = await forCheckpoints.sign(message);
    assert.equal(await verifySignature(forCheckpoints.algorithm.oid, { spki: forCheckpoints.publicKey, data: message, signature }), true);
    await assert.rejects(forCheckpoints.sign(crlTbs()), (e) => isQtError(e, 'QT_ERR_SIGNING_REFUSED'), 'a CRL presented to the audit key');
    await assert.rejects(forCheckpoints.sign(Buffer.from('qoltanba-audit-checkpoint-v1\nanything at all\n')), (e) => isQtError(e, 'QT_ERR_SIGNING_REFUSED'));
    await assert.rejects(network.signerFor(issuingKey, 'audit-checkpoint'), (e) => isQtError(e, 'QT_ERR_SIGNING_REFUSED'), 'a CA key opened for checkpoints');
    await assert.rejects(network.signerFor(auditKey, 'crl'), (e) => isQtError(e, 'QT_ERR_SIGNING_REFUSED'), 'the audit key opened for CRLs');
    const forCrl = await network.signerFor(issuingKey, 'crl');
    await assert.rejects(forCrl.sign(message), (e) => isQtError(e, 'QT_ERR_SIGNING_REFUSED'), 'a checkpoint presented to a CA key');
  });

  test('a signer process started with the wrong CA passphrase says so: QT_ERR_CA_PASSPHRASE_WRONG reaches the caller, not "unavailable"', async () => {
    process.env.QT_TEST_REMOTE_SIGNER_WRONG = 'not the passphrase the keys were made with';
    const keystore = { soft: { dir: join(home, 'keys'), passphraseEnv: 'QT_TEST_REMOTE_SIGNER_WRONG' } };
    const ctx: ServerContext = { config: { ...defaultConfig(home), roles: ['signer'] }, store: db.store, signers: new InProcessSignerProvider(keystore), log: silentLogger, now: () => new Date() };
    const app = createHttpApp({ bodyLimit: 1 << 20 });
    await app.register(signerRoutes, { ctx, keystore, token: 'the-signer-token-for-tests' });
    const wrongUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      await assert.rejects(
        new NetworkSignerProvider({ url: wrongUrl, tokenFile }).signerFor(issuingKey, 'crl'),
        (e) => isQtError(e, 'QT_ERR_CA_PASSPHRASE_WRONG') && /^The CA key passphrase is wrong/.test(e.message),
      );
    } finally {
      await app.close();
      delete process.env.QT_TEST_REMOTE_SIGNER_WRONG;
    }
  });

  test('an unreachable signer is a clear 503-class error', async () => {
    const network = new NetworkSignerProvider({ url: 'http://127.0.0.1:9', tokenFile, timeoutMs: 2000 });
    await assert.rejects(network.signerFor(issuingKey, 'crl'), (e) => isQtError(e, 'QT_ERR_SIGNER_UNAVAILABLE'));
  });
});
