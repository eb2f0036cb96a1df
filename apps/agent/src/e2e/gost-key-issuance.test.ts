/**
 * (Re)issuance of a GOST 34.10-2015 (512) key through the agent, as NCA issues today: the portal asks for a
 * GOST key, the agent makes it and a GOST-signed PKCS#10 request, a GOST CA (our pki, the same code the
 * server's GOST issuing CA runs) issues the certificate, installation writes `GOST512_<ski>.p12`, and the
 * new key signs through ncalayer-js-client.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  fromBase64,
  generateGostKeyPair,
  gostSigner,
  importPkcs12Key,
  issueCaCertificate,
  issueCertificate,
  KZ_GOST_2015_512,
  oid,
  readKzGostSpki,
  validatePath,
  verifyCms,
  verifyCsr,
  type IssuedCertificate,
  type Signer,
} from '@qoltanba/pki';
import { ConsentTabs, launchChromium, openSitePage, requestFromPage, startTestSite, type TestSite } from '../testing/browser.ts';
import { approve, ru } from '../testing/consent-user.ts';
import { startTestAgent, type TestAgent } from '../testing/test-agent.ts';
import { startTestTsa, type TestTsa } from '../testing/tsa.ts';

const PASSWORD = 'Qoltanba2026';

interface KeysReply {
  status: boolean;
  code?: string;
  message?: string;
  body?: { result?: { requestId: string; keys: { keyType: string; csr: string }[]; installed?: { keyType: string; fileName: string; subjectKeyId: string }[] } };
}

describe('GOST 34.10-2015 (512) key generation and installation for (re)issuance', () => {
  let browser: Browser;
  let site: TestSite;
  let agent: TestAgent;
  /** ncalayer-js-client's basicsCMSParams… carry a tsaProfile: those signatures are time-stamped. */
  let tsa: TestTsa;
  let tabs: ConsentTabs;
  let portal: Page;
  let keysDir: string;
  let root: IssuedCertificate;
  let issuing: IssuedCertificate;
  let issuingSigner: Signer;
  let requestId = '';
  let csrPem = '';

  before(async () => {
    keysDir = await mkdtemp(join(tmpdir(), 'qoltanba-gostkeys-'));
    const rootSigner = gostSigner(generateGostKeyPair().privateKey);
    issuingSigner = gostSigner(generateGostKeyPair().privateKey);
    root = await issueCaCertificate({ profile: 'root-ca', subject: [{ type: 'C', value: 'KZ' }, { type: 'CN', value: 'TEST ROOT (GOST)' }], signer: rootSigner });
    issuing = await issueCaCertificate({
      profile: 'issuing-ca',
      subject: [{ type: 'C', value: 'KZ' }, { type: 'CN', value: 'TEST ISSUING CA (GOST)' }],
      publicKey: issuingSigner.publicKey,
      issuer: { certificate: root.der, signer: rootSigner },
      urls: { crl: 'http://127.0.0.1:8080/crl/root.crl', caIssuers: 'http://127.0.0.1:8080/cert/root.cer' },
    });
    browser = await launchChromium();
    const context = await browser.newContext({ locale: 'ru-RU' });
    tabs = new ConsentTabs(context);
    site = await startTestSite();
    tsa = await startTestTsa();
    agent = await startTestAgent({ tsaUrl: tsa.url, allowedOrigins: [site.origin], keyDirs: [keysDir], openConsent: tabs.opener });
    portal = await openSitePage(context, site, agent.url);
  });

  after(async () => {
    await browser?.close();
    await agent?.dispose();
    await tsa?.close();
    await site?.close();
    await rm(keysDir, { recursive: true, force: true });
  });

  const portalCall = (frame: unknown) => requestFromPage<KeysReply>(portal, agent.url, frame);

  test('generateKeys with GOST-2015-512 returns a CSR signed by a new NCA-shaped GOST key', async () => {
    const reply = portalCall({
      module: 'kz.qoltanba.keys',
      method: 'generateKeys',
      args: { storage: 'PKCS12', keyTypes: ['SIGNATURE'], algorithm: 'GOST-2015-512', subject: { surname: 'ТЕСТОВ', name: 'ТЕСТ', iin: '123456789011' } },
    });
    const consent = await tabs.next();
    await consent.getByLabel('Пароль для новых файлов ключей').fill(PASSWORD);
    await consent.getByLabel('Повторите пароль').fill(PASSWORD);
    await consent.getByRole('button', { name: ru.create }).click();
    await consent.locator('p.done').waitFor();
    const r = await reply;
    assert.equal(r.status, true, JSON.stringify(r));
    requestId = r.body?.result?.requestId ?? '';
    csrPem = r.body?.result?.keys[0]?.csr ?? '';
    const csr = await verifyCsr(csrPem);
    assert.equal(csr.signatureAlgorithm.oid, oid.kzGost2015_512Sign);
    assert.equal(readKzGostSpki(csr.publicKey.spki).algorithm, KZ_GOST_2015_512);
  });

  test('a GOST key is not generated on a token: refused before the user is asked', async () => {
    const r = await portalCall({ module: 'kz.qoltanba.keys', method: 'generateKeys', args: { storage: 'AKKaztokenStore', algorithm: 'GOST-2015-512' } });
    assert.equal(r.status, false);
    assert.match(r.message ?? '', /key files \(PKCS12\) only/);
  });

  test('installCertificates writes GOST512_<ski>.p12, which opens with the password and signs through ncalayer-js-client', async () => {
    const cert = await issueCertificate({
      csr: csrPem,
      profile: 'individual-sign',
      subject: { surname: 'ТЕСТОВ', name: 'ТЕСТ', iin: '900101300017' },
      issuer: { certificate: issuing.der, signer: issuingSigner },
      urls: { crl: 'http://127.0.0.1:8080/crl/gost.crl', deltaCrl: 'http://127.0.0.1:8080/crl/gost-delta.crl', ocsp: 'http://127.0.0.1:8080/ocsp', caIssuers: 'http://127.0.0.1:8080/cert/gost.cer' },
    });
    const reply = portalCall({ module: 'kz.qoltanba.keys', method: 'installCertificates', args: { requestId, certificates: [cert.pem], chain: [issuing.pem, root.pem] } });
    const consent = await tabs.next();
    await consent.getByLabel('Пароль, заданный при создании ключей').fill(PASSWORD);
    await consent.getByRole('button', { name: ru.install }).click();
    await consent.locator('p.done').waitFor();
    const r = await reply;
    assert.equal(r.status, true, JSON.stringify(r));
    const [installed] = r.body?.result?.installed ?? [];
    assert.equal(installed?.subjectKeyId, cert.subjectKeyId);
    assert.equal(installed?.fileName, `GOST512_${cert.subjectKeyId}.p12`);
    assert.deepEqual(await readdir(keysDir), [installed?.fileName]);

    const file = await readFile(join(keysDir, installed!.fileName));
    const reopened = await importPkcs12Key(file, PASSWORD);
    assert.deepEqual(reopened.certificate, cert.der);
    assert.equal(reopened.key.friendlyName, cert.subjectKeyId);
    assert.equal(reopened.signer.algorithm.oid, oid.kzGost2015_512Sign);

    const result = portal.evaluate(async () => {
      const w = window as unknown as { client: { basicsSignCMS(...a: unknown[]): Promise<string> }; NCALayerClient: Record<string, unknown> };
      const C = w.NCALayerClient;
      return w.client.basicsSignCMS(C.basicsStoragePKCS12, btoa('first GOST signature'), C.basicsCMSParamsAttached, C.basicsSignerSignAny);
    });
    await approve(await tabs.next(), { file: installed!.fileName, secret: PASSWORD });
    const verified = await verifyCms(fromBase64((await result).replace(/-----[A-Z ]+-----/g, '')));
    assert.equal(new TextDecoder().decode(verified.content), 'first GOST signature');
    const chain = await validatePath({ leaf: verified.signers[0]!.certificate, intermediates: [issuing.der], trustAnchors: [root.der], at: new Date() });
    assert.equal(chain.ok, true, chain.error?.message);
  });
});
