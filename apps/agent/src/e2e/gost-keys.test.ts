/**
 * NCA's GOST 34.10-2015 (512) test key file (KEY_INDIVIDUAL_VALID_2015.p12, what NCA issues today as
 * GOST512_<ski>.p12) through ncalayer-js-client: the agent signs CMS and XML with it, and the results
 * verify with the pki verifier and chain to NCA's 2015 GOST test CA.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { fromBase64, oid, validatePath, verifyCms, verifyXml } from '@qoltanba/pki';
import { fixturePath, GOST2015_KEY_PASSWORD, nca } from '../../../../test/support/fixtures.ts';
import { ConsentTabs, launchChromium, openSitePage, startTestSite, type TestSite } from '../testing/browser.ts';
import { approve } from '../testing/consent-user.ts';
import { startTestAgent, type TestAgent } from '../testing/test-agent.ts';

/** A day inside the 2015 key's certificate (2022-07-28 … 2023-07-28). */
const AT = new Date('2022-09-01T10:00:00Z');
const FILE = 'GOST512_8ff06211dc82beb00253ffa000f1de84abef454f.p12';

describe('an NCA GOST 34.10-2015 (512) key file through ncalayer-js-client', () => {
  let browser: Browser;
  let site: TestSite;
  let agent: TestAgent;
  let tabs: ConsentTabs;
  let portal: Page;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qoltanba-gost-'));
    // Under the name NCA gives such files, as a user would keep it.
    await copyFile(fixturePath(...nca.valid2015Key), join(dir, FILE));
    browser = await launchChromium();
    const context = await browser.newContext({ locale: 'ru-RU' });
    tabs = new ConsentTabs(context);
    site = await startTestSite();
    agent = await startTestAgent({ allowedOrigins: [site.origin], keyDirs: [dir], openConsent: tabs.opener, now: () => AT });
    portal = await openSitePage(context, site, agent.url);
  });
  after(async () => {
    await browser?.close();
    await agent?.dispose();
    await site?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const call = (source: string, arg?: unknown) =>
    portal.evaluate(
      ([s, a]) => (new Function('client', 'C', 'arg', `return (${s})(client, C, arg)`) as (...x: unknown[]) => Promise<unknown>)((window as never as { client: unknown }).client, (window as never as { NCALayerClient: unknown }).NCALayerClient, a),
      [source, arg] as const,
    );

  const chainsToTestCa = async (certificate: Uint8Array) => {
    const verdict = await validatePath({ leaf: certificate, trustAnchors: [await readFile(fixturePath(...nca.gost2015Ca))], at: AT });
    assert.equal(verdict.ok, true, verdict.error?.message);
  };

  test('createCAdESFromBase64 signs with the GOST key: Streebog-512 / GOST 34.10-2015, verifying to the 2015 test CA', async () => {
    const result = call("(c, C, d) => c.createCAdESFromBase64('PKCS12', d, 'SIGNATURE', true)", Buffer.from('Өтініш: ЭЦҚ қайта шығару').toString('base64'));
    await approve(await tabs.next(), { file: FILE, secret: GOST2015_KEY_PASSWORD });
    const verified = await verifyCms(fromBase64((await result) as string), { at: AT });
    assert.equal(verified.signers[0]?.signatureAlgorithm.oid, oid.kzGost2015_512Sign);
    assert.equal(verified.signers[0]?.digestAlgorithm.oid, oid.kzStreebog512);
    assert.equal(new TextDecoder().decode(verified.content), 'Өтініш: ЭЦҚ қайта шығару');
    await chainsToTestCa(verified.signers[0]!.certificate);
  });

  test('signXml signs with Kalkan’s GOST 2015 URIs and the signature verifies', async () => {
    const result = call("(c) => c.signXml('PKCS12', '<root><key>NONCE-42</key></root>', 'SIGNATURE', '', '')");
    await approve(await tabs.next(), { file: FILE, secret: GOST2015_KEY_PASSWORD });
    const xml = (await result) as string;
    assert.match(xml, /SignatureMethod Algorithm="urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-512"/);
    assert.match(xml, /DigestMethod Algorithm="urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-512"/);
    const verified = await verifyXml(xml, { at: AT });
    await chainsToTestCa(verified.certificate);
  });
});
