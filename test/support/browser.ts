/**
 * TEST SUPPORT ONLY: headless Chromium for the portal's end-to-end test — launching it, opening the agent's
 * consent pages in tabs of the same browser, answering them with the labels a person reads (Russian, as the
 * portal asks the agent for the page's language), axe-core checks, and screenshots into docs/screenshots.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const SCREENSHOTS = resolve(import.meta.dirname, '../../docs/screenshots');

/** `extraArgs`: e.g. the fake camera of the remote-issuance test (--use-file-for-fake-video-capture=…). */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', ...extraArgs],
  });
}

/** The agent's consent pages, opened as new tabs of the same browser and handed out in order. */
export class ConsentTabs {
  readonly #ready: Page[] = [];
  readonly #waiting: ((page: Page) => void)[] = [];
  constructor(private readonly context: () => BrowserContext) {}

  readonly opener = async (url: string): Promise<void> => {
    const page = await this.context().newPage();
    await page.goto(url);
    const next = this.#waiting.shift();
    if (next) next(page);
    else this.#ready.push(page);
  };

  next(timeoutMs = 20_000): Promise<Page> {
    const ready = this.#ready.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error('no consent page was opened')), timeoutMs);
      this.#waiting.push((p) => {
        clearTimeout(timer);
        res(p);
      });
    });
  }
}

/** The agent's consent page, as a person answers it. */
export const consent = {
  async unlock(page: Page, file: string, password: string): Promise<void> {
    await page.getByLabel(file).check();
    await page.getByLabel(/Пароль|PIN/).first().fill(password);
    await page.getByRole('button', { name: 'Далее' }).click();
  },
  async confirm(page: Page, button: 'Подписать' | 'Передать сертификат'): Promise<void> {
    await page.getByRole('button', { name: button }).click();
    await page.locator('p.done, p.refused').waitFor();
    await page.close();
  },
  async sign(page: Page, file: string, password: string, button: 'Подписать' | 'Передать сертификат' = 'Подписать'): Promise<void> {
    await consent.unlock(page, file, password);
    await consent.confirm(page, button);
  },
  /** The agent's key-generation page: the new files' password, twice, then «Создать ключи». */
  async generateKeys(page: Page, password: string): Promise<void> {
    await page.getByLabel('Пароль для новых файлов ключей').fill(password);
    await page.getByLabel('Повторите пароль').fill(password);
    await page.getByRole('button', { name: 'Создать ключи' }).click();
    await page.locator('p.done').waitFor();
    await page.close();
  },
  /** The agent's installation page: the password chosen at generation, then «Установить сертификаты». */
  async installCertificates(page: Page, password: string): Promise<void> {
    await page.getByLabel('Пароль, заданный при создании ключей').fill(password);
    await page.getByRole('button', { name: 'Установить сертификаты' }).click();
    await page.locator('p.done').waitFor();
    await page.close();
  },
};

/**
 * «Загрузить сертификаты» on the page, the agent's installation page answered with the password, and the new
 * key files the agent wrote into `keysDir`: the AUTH and the SIGN file under NCA's names.
 */
export async function installNewKeys(page: Page, tabs: ConsentTabs, keysDir: string, password: string): Promise<string[]> {
  const before = new Set(readdirSync(keysDir));
  await page.getByRole('button', { name: 'Загрузить сертификаты' }).click();
  await consent.installCertificates(await tabs.next(), password);
  await page.getByRole('heading', { name: 'Новые ключи установлены' }).waitFor();
  const written = readdirSync(keysDir).filter((f) => !before.has(f));
  assert.equal(written.length, 2);
  assert.ok(written.some((f) => /^AUTH_RSA256_[0-9a-f]{40}\.p12$/.test(f)));
  assert.ok(written.some((f) => /^RSA256_[0-9a-f]{40}\.p12$/.test(f)));
  return written;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's serious and critical findings on the page as it is now. axe is evaluated through the DevTools
 * protocol, which the page's CSP does not govern — the CSP itself stays on (no bypassCSP), so a page that
 * needed an inline script would visibly break in these tests.
 */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const result = (await page.evaluate(() => (window as unknown as { axe: { run(): Promise<unknown> } }).axe.run())) as {
    violations: { id: string; impact: string; nodes: { target: unknown }[] }[];
  };
  const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`);
  assert.deepEqual(serious, [], `axe-core on ${what}`);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
