/**
 * Tokens (PKCS#11) end to end on a throwaway SoftHSM2 token shown as "AKKaztokenStore": getActiveTokens reports
 * it only while it exists, keys for (re)issuance are generated on it (non-extractable), the issued certificates are
 * installed next to them, and ncalayer-js-client signs with them after the user types the PIN in the agent's page.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createSoftHsm, type SoftHsm, type SoftHsmToken } from '@qoltanba/keystore/testing';
import { listTokens, Pkcs11KeyStore } from '@qoltanba/keystore';
import { fromBase64 } from '@qoltanba/pki';
import { ConsentTabs, launchChromium, openSitePage, startTestSite, type TestSite } from '../testing/browser.ts';
import { approve, ru } from '../testing/consent-user.ts';
import { createOpensslCa, type OpensslCa } from '../testing/openssl-ca.ts';
import { startTestAgent, type TestAgent } from '../testing/test-agent.ts';
import { startTestTsa, type TestTsa } from '../testing/tsa.ts';
import { opensslCmsVerify } from '../testing/verifiers.ts';

const PIN = '472913';
const LABEL = 'Qoltanba Token';

describe('PKCS#11 tokens (SoftHSM2 as AKKaztokenStore)', () => {
  let hsm: SoftHsm;
  let token: SoftHsmToken;
  let browser: Browser;
  let context: BrowserContext;
  let site: TestSite;
  let agent: TestAgent;
  /** ncalayer-js-client's basicsCMSParams… carry a tsaProfile: those signatures are time-stamped. */
  let tsa: TestTsa;
  let tabs: ConsentTabs;
  let portal: Page;
  let ca: OpensslCa;
  let keysDir: string;

  before(async () => {
    hsm = await createSoftHsm();
    keysDir = await mkdtemp(join(tmpdir(), 'qoltanba-nofiles-'));
    ca = await createOpensslCa();
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'ru-RU' });
    tabs = new ConsentTabs(context);
    site = await startTestSite();
    tsa = await startTestTsa();
    agent = await startTestAgent({
      tsaUrl: tsa.url,
      allowedOrigins: [site.origin],
      keyDirs: [keysDir],
      tokens: [{ library: hsm.modulePath, storage: 'AKKaztokenStore' }],
      openConsent: tabs.opener,
    });
    portal = await openSitePage(context, site, agent.url);
  });

  after(async () => {
    await browser?.close();
    await agent?.dispose();
    await tsa?.close();
    await site?.close();
    await ca?.dispose();
    await hsm?.cleanup();
    await rm(keysDir, { recursive: true, force: true });
  });

  const client = <T>(fn: string, arg?: unknown) =>
    portal.evaluate(
      async ([source, a]) => {
        const w = window as unknown as { client: unknown; NCALayerClient: unknown };
        try {
          return { ok: true, value: await (new Function('client', 'C', 'arg', `return (${source})(client, C, arg)`)(w.client, w.NCALayerClient, a) as Promise<unknown>) };
        } catch (e) {
          return { ok: false, value: (e as Error).message };
        }
      },
      [fn, arg] as const,
    ) as Promise<{ ok: boolean; value: T }>;

  function portalCall(frame: unknown): Promise<{ status: boolean; code?: string; body?: { result?: Record<string, unknown> } }> {
    return portal.evaluate(
      ([url, f]) =>
        new Promise((resolve) => {
          const ws = new WebSocket(url);
          let greeted = false;
          ws.onmessage = (m) => {
            if (!greeted) {
              greeted = true;
              ws.send(JSON.stringify(f));
            } else {
              resolve(JSON.parse(m.data as string));
              ws.close();
            }
          };
        }),
      [agent.url, frame] as const,
    ) as Promise<{ status: boolean; code?: string; body?: { result?: Record<string, unknown> } }>;
  }

  test('getActiveTokens reports what is really plugged in: nothing, then AKKaztokenStore once a token exists', async () => {
    assert.deepEqual(await client('(c) => c.getActiveTokens()'), { ok: true, value: [] });
    token = await hsm.initToken({ label: LABEL, pin: PIN });
    assert.deepEqual(await client('(c) => c.getActiveTokens()'), { ok: true, value: ['AKKaztokenStore'] });
  });

  let requestId: string;
  let csrs: { keyType: string; csr: string }[];

  test('generateKeys on the token: a wrong PIN counts an attempt; the right one creates both keys there', async () => {
    const reply = portalCall({ module: 'kz.qoltanba.keys', method: 'generateKeys', args: { storage: 'AKKaztokenStore' } });
    const consent = await tabs.next();
    await consent.getByLabel(LABEL).check();
    await consent.getByLabel('PIN-код токена').fill('000000');
    await consent.getByRole('button', { name: ru.create }).click();
    assert.match(await consent.getByRole('alert').innerText(), /Осталось 2 попытки/);
    await consent.getByLabel(LABEL).check();
    await consent.getByLabel('PIN-код токена').fill(PIN);
    await consent.getByRole('button', { name: ru.create }).click();
    await consent.locator('p.done').waitFor();
    const r = await reply;
    assert.equal(r.status, true, JSON.stringify(r));
    requestId = r.body?.result?.requestId as string;
    csrs = r.body?.result?.keys as { keyType: string; csr: string }[];
    assert.equal(r.body?.result?.storage, 'AKKaztokenStore');
    assert.equal(csrs.length, 2);

    // The keys are on the token, as sensitive, non-extractable objects; no key material was written to the data dir.
    const store = await Pkcs11KeyStore.open(token.uri());
    try {
      const keys = await store.listKeys();
      assert.equal(keys.length, 2);
      assert.ok(keys.every((k) => k.certificate === undefined));
    } finally {
      await store.close();
    }
  });

  test('installCertificates puts the certificates next to their keys on the token', async () => {
    const certificates = [await ca.issue(csrs[0]?.csr as string, 'AUTH'), await ca.issue(csrs[1]?.csr as string, 'SIGN')];
    const reply = portalCall({ module: 'kz.qoltanba.keys', method: 'installCertificates', args: { requestId, certificates } });
    const consent = await tabs.next();
    await consent.getByLabel('PIN-код токена').fill(PIN);
    await consent.getByRole('button', { name: ru.install }).click();
    await consent.locator('p.done').waitFor();
    const r = await reply;
    assert.equal(r.status, true, JSON.stringify(r));
    const store = await Pkcs11KeyStore.open(token.uri());
    try {
      assert.ok((await store.listKeys()).every((k) => k.certificate !== undefined));
    } finally {
      await store.close();
    }
  });

  test('basics CMS with the token: only the SIGN key is offered for a signing request; OpenSSL verifies', async () => {
    const result = client<string>('(c, C, d) => c.basicsSignCMS(C.basicsStorageKAZTOKEN, d, C.basicsCMSParamsAttached, C.basicsSignerSignAny)', btoa('signed on a token'));
    const consent = await tabs.next();
    await consent.getByLabel(LABEL).check();
    await consent.getByLabel('PIN-код токена').fill(PIN);
    await consent.getByRole('button', { name: ru.continue }).click();
    assert.equal(await consent.locator('input[name=key]').count(), 1);
    await assert.doesNotReject(consent.getByText('Подпись', { exact: true }).waitFor());
    await consent.getByRole('button', { name: ru.sign }).click();
    await consent.locator('p.done').waitFor();
    const r = await result;
    assert.ok(r.ok, String(r.value));
    assert.equal((await opensslCmsVerify({ cms: r.value, caFile: ca.certificateFile, at: new Date() })).toString(), 'signed on a token');
  });

  test('commonUtils with AUTHENTICATION signs with the token\'s AUTH key', async () => {
    const result = client<string>("(c, C, d) => c.createCAdESFromBase64('AKKaztokenStore', d, 'AUTHENTICATION', false)", btoa('login challenge'));
    await approve(await tabs.next(), { token: LABEL, secret: PIN });
    const r = await result;
    assert.ok(r.ok, String(r.value));
    await opensslCmsVerify({ cms: fromBase64(r.value), caFile: ca.certificateFile, at: new Date(), content: Buffer.from('login challenge') });
  });

  test('the token is intact afterwards: still present, PIN not locked by the one wrong attempt', async () => {
    const tokens = await listTokens(hsm.modulePath);
    assert.ok(tokens.some((t) => t.label === LABEL && t.present && !t.pinLocked));
  });
});
