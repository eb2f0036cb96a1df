/**
 * The whole issuance path with the CA keys in an HSM (a throwaway SoftHSM2 token): the ceremony generates the
 * issuing CA, OCSP and TSA keys on the token, the RA issues through them, CRLs, OCSP responses and time-stamps
 * are signed on the token, and openssl accepts everything. No key material ever reaches the soft key folder or
 * the database.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildOcspRequest, verifyOcspResponse } from '@qoltanba/pki';
import { createSoftHsm, type SoftHsm } from '@qoltanba/keystore/testing';
import { describeEachBackend } from '../store/testing/backends.ts';
import { defaultConfig } from '../config.ts';
import { silentLogger, type ServerContext } from '../context.ts';
import { InProcessSignerProvider } from '../signer/in-process.ts';
import { createStatusService } from '../status/index.ts';
import { createRa, issue, revoke, statusHooksFor } from '../ra/index.ts';
import { uniqueIin } from '../ra/testing/fixture.ts';
import { defaultCeremonyConfig, tsaPlanFor } from './ceremony-config.ts';
import { resolveTsaOptions } from '../tsa/options.ts';
import { createTsaService } from '../tsa/service.ts';
import { runCeremony } from './ceremony.ts';

const PASSPHRASE_ENV = 'QT_TEST_HSM_PASSPHRASE';
process.env[PASSPHRASE_ENV] = 'the root key stays soft in this test';

let hsm: SoftHsm | undefined;
after(() => hsm?.cleanup());

describeEachBackend('issuance with the CA keys on a PKCS#11 token (SoftHSM2)', (db) => {
  test('ceremony on the token, issuance, revocation, CRL, OCSP and time-stamps all signed there and accepted by openssl', async () => {
    hsm ??= await createSoftHsm();
    const token = await hsm.initToken({ label: `Qoltanba CA ${db.backend}`, pin: '4821-7350' });
    const home = mkdtempSync(join(tmpdir(), 'qt-hsm-'));
    const keystore = { soft: { dir: join(home, 'keys'), passphraseEnv: PASSPHRASE_ENV } };
    const plan = defaultCeremonyConfig();
    plan.root.key.bits = 2048;
    plan.issuing[0]!.key = { uri: token.uri('issuing-rsa'), bits: 2048 };
    plan.issuing[0]!.ocsp.key = { uri: token.uri('ocsp-rsa'), bits: 2048 };
    plan.issuing[0]!.tsa = { ...tsaPlanFor(plan.issuing[0]!), key: { uri: token.uri('tsa-rsa'), bits: 2048 } };
    // The audit checkpoint key on the token too: held like the CA keys.
    plan.auditKey = { uri: token.uri('audit-checkpoints'), bits: 2048 };
    await runCeremony({ db: db.store.db, keystore, config: plan, publicUrl: 'http://127.0.0.1:8080', home });

    // The registry names the token objects; the PIN itself is only in the pin-source file, never in the database.
    const ca = await db.store.db.selectFrom('cas').select(['id', 'name', 'key_uri']).where('kind', '=', 'issuing').executeTakeFirstOrThrow();
    assert.match(ca.key_uri!, /^pkcs11:token=Qoltanba%20CA.*object=issuing-rsa/);
    assert.doesNotMatch(ca.key_uri!, /4821-7350/);
    assert.deepEqual(readdirSync(keystore.soft.dir).sort(), ['root-rsa.key.pem']);

    const signers = new InProcessSignerProvider(keystore);
    const ctx: ServerContext = { config: { ...defaultConfig(home), publicUrl: 'http://127.0.0.1:8080' }, store: db.store, signers, log: silentLogger, now: () => new Date() };
    const status = createStatusService(ctx);
    const ra = createRa(ctx, { hooks: statusHooksFor(status) });
    try {
      execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(home, 'leaf.key'), '-subj', '/CN=x', '-out', join(home, 'leaf.csr')], { stdio: 'ignore' });
      const { certificate } = await issue(ra, {
        csr: readFileSync(join(home, 'leaf.csr'), 'utf8'),
        profile: 'individual-sign',
        subject: { surname: 'ТОКЕНОВА', name: 'ӘСЕЛ', iin: uniqueIin() },
        storage: 'file',
        idempotencyKey: `hsm-${db.backend}`,
        actor: 'operator:test',
      });
      writeFileSync(join(home, 'leaf.crt'), certificate.pem);
      const verified = execFileSync('openssl', ['verify', '-CAfile', join(home, 'ca', 'root-rsa.crt'), '-untrusted', join(home, 'ca', 'rsa.crt'), join(home, 'leaf.crt')]).toString();
      assert.match(verified, /OK/);

      const issuer = readFileSync(join(home, 'ca', 'rsa.crt'), 'utf8');
      const goodAnswer = await status.responder.answer(await buildOcspRequest(certificate.pem, issuer));
      const good = await verifyOcspResponse(goodAnswer.der!, { issuer });
      assert.equal(good.responses[0]!.status, 'good');

      await revoke(ra, { ca: ca.name, serial: certificate.serial, reason: 'keyCompromise', actor: 'operator:test' });
      const revokedAnswer = await status.responder.answer(await buildOcspRequest(certificate.pem, issuer));
      assert.equal((await verifyOcspResponse(revokedAnswer.der!, { issuer })).responses[0]!.status, 'revoked');

      await status.generateCrl(ca.id, 'full');
      writeFileSync(join(home, 'rsa.crl'), (await status.latestCrl(ca.name, 'full')).der);
      const crl = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', join(home, 'rsa.crl'), '-CAfile', join(home, 'ca', 'rsa.crt'), '-noout', '-text', '-verify'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      assert.match(crl, new RegExp(certificate.serial.toUpperCase().replace(/^0+/, '')));

      // A time-stamp signed on the token: openssl ts -query → our TSA → openssl ts -verify.
      const tsa = await createTsaService(ctx, resolveTsaOptions({}));
      try {
        writeFileSync(join(home, 'stamped.txt'), 'signed in an HSM');
        execFileSync('openssl', ['ts', '-query', '-data', join(home, 'stamped.txt'), '-sha256', '-cert', '-out', join(home, 'q.tsq')], { stdio: 'ignore' });
        const answer = await tsa.answer(readFileSync(join(home, 'q.tsq')));
        assert.equal(answer.outcome, 'granted');
        writeFileSync(join(home, 'r.tsr'), answer.der);
        const stamp = execFileSync('openssl', ['ts', '-verify', '-in', join(home, 'r.tsr'), '-queryfile', join(home, 'q.tsq'), '-CAfile', join(home, 'ca', 'root-rsa.crt')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        assert.match(stamp, /Verification: OK/);
      } finally {
        await tsa.stop();
      }

      // The keys are on the token and cannot leave it.
      const objects = execFileSync('pkcs11-tool', ['--module', hsm.modulePath, '--token-label', token.label, '--login', '--pin', token.pin, '--list-objects'], { env: hsm.env, encoding: 'utf8' });
      assert.match(objects, /Private Key Object[\s\S]*label:\s+issuing-rsa[\s\S]*never extractable/);
      assert.match(objects, /Private Key Object[\s\S]*label:\s+tsa-rsa[\s\S]*never extractable/);
      const tsaRow = await db.store.db.selectFrom('tsa_signers').select('key_uri').executeTakeFirstOrThrow();
      assert.match(tsaRow.key_uri, /^pkcs11:.*object=tsa-rsa/);
      assert.ok(!existsSync(join(keystore.soft.dir, 'issuing-rsa.key.pem')));
    } finally {
      await status.stop();
      await signers.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
