/** The consent page is usable with a keyboard and a screen reader: axe-core finds no serious problems, in kk/ru/en. */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { fixturePath, nca, TEST_KEY_PASSWORD } from '../../../../test/support/fixtures.ts';
import { connectRaw } from '../testing/agent-client.ts';
import { launchChromium } from '../testing/browser.ts';
import { startTestAgent, type TestAgent } from '../testing/test-agent.ts';

const SITE = 'https://portal.example.kz';
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

async function seriousViolations(page: Page): Promise<string[]> {
  // The page forbids all scripts (CSP); the audit context bypasses CSP only to inject axe itself.
  await page.addScriptTag({ path: axePath });
  const result = (await page.evaluate(() => (window as unknown as { axe: { run(): Promise<unknown> } }).axe.run())) as {
    violations: { id: string; impact: string; nodes: unknown[] }[];
  };
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.nodes.length})`);
}

describe('consent page accessibility', () => {
  let browser: Browser;
  let agent: TestAgent;
  let keyDir: string;
  const opened: string[] = [];

  before(async () => {
    keyDir = await mkdtemp(join(tmpdir(), 'qoltanba-a11y-'));
    await copyFile(fixturePath(...nca.validSignKey), join(keyDir, 'KEY_INDIVIDUAL_VALID_SIGN_2004.p12'));
    browser = await launchChromium();
    agent = await startTestAgent({ allowedOrigins: [SITE], keyDirs: [keyDir], openConsent: (url) => void opened.push(url), now: () => new Date('2021-12-01') });
  });
  after(async () => {
    await browser?.close();
    await agent?.dispose();
    await rm(keyDir, { recursive: true, force: true });
  });

  for (const locale of ['kk', 'ru', 'en']) {
    test(`storage and key steps have no serious axe violations (${locale})`, async () => {
      const c = await connectRaw(agent.url, { Origin: SITE });
      const count = opened.length;
      void c.call({ module: 'kz.gov.pki.knca.basics', method: 'sign', args: { allowedStorages: null, format: 'cms', data: 'MTEK', signingParams: {}, signerParams: {}, locale } });
      while (opened.length === count) await new Promise((r) => setTimeout(r, 10));
      const context = await browser.newContext({ bypassCSP: true });
      const page = await context.newPage();
      await page.goto(opened[opened.length - 1] as string);
      assert.equal(await page.getAttribute('html', 'lang'), locale);
      assert.deepEqual(await seriousViolations(page), []);
      await page.getByRole('radio').first().check();
      await page.locator('#secret').fill(TEST_KEY_PASSWORD);
      await page.locator('button[value=unlock]').click();
      await page.locator('input[name=key]').waitFor();
      assert.deepEqual(await seriousViolations(page), []);
      await context.close();
      c.close();
    });
  }

  test('the whole flow works from the keyboard alone', async () => {
    const c = await connectRaw(agent.url, { Origin: SITE });
    const count = opened.length;
    const reply = c.call({ module: 'kz.gov.pki.knca.basics', method: 'sign', args: { allowedStorages: ['PKCS12'], format: 'cms', data: 'MTEK', signingParams: {}, signerParams: {}, locale: 'ru' } });
    while (opened.length === count) await new Promise((r) => setTimeout(r, 10));
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(opened[opened.length - 1] as string);
    await page.locator('#secret').focus();
    await page.keyboard.type(TEST_KEY_PASSWORD);
    await page.keyboard.press('Enter'); // the first button of the form: "Далее"
    await page.locator('input[name=key]').waitFor();
    await page.locator('input[name=key]').focus();
    await page.keyboard.press('Tab'); // to "Подписать"
    await page.keyboard.press('Enter');
    await page.locator('p.done').waitFor();
    assert.equal((await reply).status, true);
    await context.close();
    c.close();
  });
});
