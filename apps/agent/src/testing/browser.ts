/**
 * A real browser for end-to-end tests and the benchmark: Debian's Chromium driven by playwright-core, a small
 * "web site" that loads the unmodified ncalayer-js-client, and a consent opener that opens the agent's consent
 * page in a new tab of the same browser — where the test then answers it by typing and clicking, like a user.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { ConsentOpener } from '../consent/opener.ts';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      ...extraArgs,
    ],
  });
}

export interface TestSite {
  /** e.g. http://127.0.0.1:40123 — put it in the agent's allowedOrigins. */
  readonly origin: string;
  close(): Promise<void>;
}

const SITE_PAGE = `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Портал</title>
<script src="/ncalayer-client.js"></script></head><body><h1>Test portal</h1></body></html>`;

/** Serves a page that loads ncalayer-client.js exactly as npm ships it. */
export async function startTestSite(): Promise<TestSite> {
  const clientPath = createRequire(import.meta.url).resolve('ncalayer-js-client/ncalayer-client.js');
  const client = await readFile(clientPath);
  const server: Server = createServer((req, res) => {
    if (req.url === '/ncalayer-client.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' }).end(client);
    } else {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(SITE_PAGE);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Opens each consent page in a new tab and hands the tabs to the test in order. */
export class ConsentTabs {
  private readonly ready: Page[] = [];
  private readonly waiting: ((page: Page) => void)[] = [];

  constructor(private readonly context: BrowserContext) {}

  readonly opener: ConsentOpener = async (url) => {
    const page = await this.context.newPage();
    await page.goto(url);
    const next = this.waiting.shift();
    if (next) next(page);
    else this.ready.push(page);
  };

  next(timeoutMs = 15_000): Promise<Page> {
    const page = this.ready.shift();
    if (page) return Promise.resolve(page);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no consent page was opened')), timeoutMs);
      this.waiting.push((p) => {
        clearTimeout(timer);
        resolve(p);
      });
    });
  }
}

/** Opens the test site in a tab and connects ncalayer-js-client to the agent from inside the page. */
export async function openSitePage(context: BrowserContext, site: TestSite, agentUrl: string, beforeConnect?: (page: Page) => void): Promise<Page> {
  const page = await context.newPage();
  beforeConnect?.(page);
  await page.goto(site.origin);
  const version = await page.evaluate(async (url) => {
    const w = window as unknown as { NCALayerClient: new (url: string, kmd: boolean) => { connect(): Promise<string> }; client: unknown };
    const client = new w.NCALayerClient(url, false);
    w.client = client;
    return client.connect();
  }, agentUrl);
  if (version !== '1.4') throw new Error(`unexpected NCALayer version ${version}`);
  return page;
}

/**
 * One frame sent from inside the page over a WebSocket of its own, as a site's script would (the agent's
 * greeting first, then the frame), and the agent's reply to it.
 */
export function requestFromPage<T>(page: Page, agentUrl: string, frame: unknown): Promise<T> {
  return page.evaluate(
    ([url, f]) =>
      new Promise<unknown>((resolve, reject) => {
        const ws = new WebSocket(url);
        let greeted = false;
        ws.onmessage = (m) => {
          if (!greeted) {
            greeted = true;
            ws.send(JSON.stringify(f));
            return;
          }
          resolve(JSON.parse(m.data as string));
          ws.close();
        };
        ws.onerror = () => reject(new Error('websocket error'));
      }),
    [agentUrl, frame] as const,
  ) as Promise<T>;
}
