/**
 * NCA's real 2018 production key files (a person's AUTH and SIGN pair, legacy PKCS#12) through
 * ncalayer-js-client: keyType and signerParams.chain pick the right key, and the results verify up to NCA's
 * production root with OpenSSL and xmlsec1 — full chains, as of a day inside the certificates' validity.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { fromBase64, oid, validatePath, verifyCms } from '@qoltanba/pki';
import { fixturePath, nca, prod2018, PROD_2018_TIME, TEST_KEY_PASSWORD } from '../../../../test/support/fixtures.ts';
import { ConsentTabs, launchChromium, openSitePage, startTestSite, type TestSite } from '../testing/browser.ts';
import { approve, cancel, unlockStorage } from '../testing/consent-user.ts';
import { startTestAgent, type TestAgent } from '../testing/test-agent.ts';
import { startTestTsa, type TestTsa } from '../testing/tsa.ts';
import { opensslCmsVerify, xmlsecVerifyWithChain } from '../testing/verifiers.ts';

describe('NCA production keys (2018) through ncalayer-js-client', () => {
  let browser: Browser;
  let site: TestSite;
  let agent: TestAgent;
  /** ncalayer-js-client's basicsCMSParams… carry a tsaProfile: those signatures are time-stamped. */
  let tsa: TestTsa;
  let tabs: ConsentTabs;
  let portal: Page;
  let dir: string;
  let chainPem: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qoltanba-prod-'));
    for (const f of [prod2018.authKey, prod2018.signKey, prod2018.gostKey]) await copyFile(fixturePath(...f), join(dir, basename(f[1])));
    chainPem = join(dir, 'chain.pem');
    const pem = async (f: readonly string[]) => new X509Certificate(await readFile(fixturePath(...f))).toString();
    await writeFile(chainPem, (await pem(prod2018.ncaRsa)) + (await pem(prod2018.rootRsa)));
    browser = await launchChromium();
    const context = await browser.newContext({ locale: 'ru-RU' });
    tabs = new ConsentTabs(context);
    site = await startTestSite();
    tsa = await startTestTsa();
    agent = await startTestAgent({ tsaUrl: tsa.url, allowedOrigins: [site.origin], keyDirs: [dir], openConsent: tabs.opener, now: () => PROD_2018_TIME });
    portal = await openSitePage(context, site, agent.url);
  });
  after(async () => {
    await browser?.close();
    await agent?.dispose();
    await tsa?.close();
    await site?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const call = (source: string, arg?: unknown) =>
    portal.evaluate(
      ([s, a]) => (new Function('client', 'C', 'arg', `return (${s})(client, C, arg)`) as (...x: unknown[]) => Promise<unknown>)((window as never as { client: unknown }).client, (window as never as { NCALayerClient: unknown }).NCALayerClient, a),
      [source, arg] as const,
    );

  test('AUTHENTICATION offers only the AUTH key; the CMS verifies to the production root', async () => {
    const result = call("(c, C, d) => c.createCAdESFromBase64('PKCS12', d, 'AUTHENTICATION', true)", btoa('auth challenge'));
    const consent = await tabs.next();
    await unlockStorage(consent, { file: 'AUTH_RSA256_6b361b864c679601b652fe387f61fcd9303c0327.p12', secret: TEST_KEY_PASSWORD });
    assert.equal(await consent.locator('input[name=key]').count(), 1);
    await assert.doesNotReject(consent.getByText('Аутентификация').waitFor());
    await consent.getByRole('button', { name: 'Подписать' }).click();
    await consent.locator('p.done').waitFor();
    const cms = fromBase64((await result) as string);
    const content = await opensslCmsVerify({ cms, caFile: chainPem, at: PROD_2018_TIME });
    assert.equal(content.toString(), 'auth challenge');
  });

  test('the AUTH key file holds no signing key: SIGNATURE from it finds nothing that fits', async () => {
    const result = call("(c, C, d) => c.createCAdESFromBase64('PKCS12', d, 'SIGNATURE', true)", btoa('x')).catch((e: Error) => e.message);
    const consent = await tabs.next();
    await unlockStorage(consent, { file: 'AUTH_RSA256_6b361b864c679601b652fe387f61fcd9303c0327.p12', secret: TEST_KEY_PASSWORD });
    assert.match(await consent.getByRole('alert').innerText(), /ключ подписи/);
    await cancel(consent);
    assert.match(String(await result), /action\.canceled/);
  });

  test('the GOST 34.310-2004 key file (legacy PKCS#12) signs: the CMS verifies and its signer chains to the production GOST root', async () => {
    const result = call("(c, C, d) => c.createCAdESFromBase64('PKCS12', d, 'SIGNATURE', true)", btoa('gost 2004'));
    await approve(await tabs.next(), { file: 'GOSTKNCA_f8a422238209b6e753116431b69b09178f14e9d7.p12', secret: TEST_KEY_PASSWORD });
    // OpenSSL cannot check Kazakh GOST; the pki verifier (itself checked against NCA's fixtures and the
    // OpenSSL GOST engine) does.
    const verified = await verifyCms(fromBase64((await result) as string), { at: PROD_2018_TIME });
    assert.equal(new TextDecoder().decode(verified.content), 'gost 2004');
    assert.equal(verified.signers[0]?.signatureAlgorithm.oid, oid.kzGost2004Sign);
    const path = await validatePath({
      leaf: verified.signers[0]!.certificate,
      intermediates: [await readFile(fixturePath(...prod2018.ncaGost))],
      trustAnchors: [await readFile(fixturePath(...prod2018.rootGost))],
      at: PROD_2018_TIME,
    });
    assert.equal(path.ok, true, path.error?.message);
  });

  test('signXml with the SIGN key verifies with xmlsec1 up to the production root', async () => {
    const result = call("(c) => c.signXml('PKCS12', '<doc><p>Өтініш</p></doc>', 'SIGNATURE', '', '')");
    await approve(await tabs.next(), { file: 'RSA256_8426360556902ce4ac33977836f873e1dc190976.p12', secret: TEST_KEY_PASSWORD });
    const out = await xmlsecVerifyWithChain((await result) as string, { rootDer: fixturePath(...prod2018.rootRsa), intermediatesDer: [fixturePath(...prod2018.ncaRsa)] }, PROD_2018_TIME);
    assert.match(out, /OK/);
  });

  test('signerParams.chain: keys from the named CA are offered, keys from another CA are not', async () => {
    const productionCa = (await readFile(fixturePath(...prod2018.ncaRsa))).toString('base64');
    const testCa = new X509Certificate(await readFile(fixturePath(...nca.rsaCa))).raw.toString('base64');
    const sign = (chain: string[]) =>
      call(`(c, C, d) => c.basicsSign(C.basicsStoragePKCS12, 'cms', d, C.basicsCMSParamsAttached, { extKeyUsageOids: ['1.3.6.1.5.5.7.3.4', '1.2.398.3.3.4.1.1'], chain: ${JSON.stringify(chain)} }, 'ru')`, btoa('chain')).catch(
        (e: Error) => e.message,
      );
    const fromTestCa = sign([testCa]);
    let consent = await tabs.next();
    await unlockStorage(consent, { file: 'RSA256_8426360556902ce4ac33977836f873e1dc190976.p12', secret: TEST_KEY_PASSWORD });
    assert.match(await consent.getByRole('alert').innerText(), /выпущен указанными УЦ/);
    await cancel(consent);
    assert.match(String(await fromTestCa), /cancelled by user/);
    const fromProduction = sign([productionCa]);
    consent = await tabs.next();
    await approve(consent, { file: 'RSA256_8426360556902ce4ac33977836f873e1dc190976.p12', secret: TEST_KEY_PASSWORD });
    await opensslCmsVerify({ cms: String(await fromProduction), caFile: chainPem, at: PROD_2018_TIME });
  });
});
