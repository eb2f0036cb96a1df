/**
 * Local agent benchmark: CMS signing of 1 KB and 10 MB documents, XML signing, and RSA-2048 key pair + CSR
 * generation, driven exactly as a citizen's browser drives it — the unmodified ncalayer-js-client in headless
 * Chromium, the consent page answered in the same browser by typing the password and pressing the button.
 * Time is measured from the user's confirmation (the click) to the reply arriving in the calling page; the
 * agent has no way to skip consent, so the benchmark goes through it every time.
 * Baselines in the same run: `openssl cms -sign`, `xmlsec1 --sign` (OpenSSL has no XMLDSig), `openssl req -newkey`.
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { fixturePath, nca, TEST_KEY_PASSWORD } from '../test/support/fixtures.ts';
import { ConsentTabs, launchChromium, openSitePage, startTestSite } from '../apps/agent/src/testing/browser.ts';
import { unlockStorage } from '../apps/agent/src/testing/consent-user.ts';
import { startTestAgent } from '../apps/agent/src/testing/test-agent.ts';
import { startTestTsa } from '../apps/agent/src/testing/tsa.ts';
import { loadOrCreateLocalTls } from '../apps/agent/src/tls/local-ca.ts';
import { openssl, timedCommand } from './lib/openssl.ts';
import { millis, printTable } from './lib/table.ts';

const RUNS = Number(process.env.BENCH_AGENT_RUNS ?? 7);
const KEY_FILE = 'KEY_INDIVIDUAL_VALID_SIGN_2004.p12';
/** The fixture certificate's validity is 2021-01-18 … 2022-01-18; the agent signs as of a day inside it. */
const KEY_TIME = new Date('2021-12-01T00:00:00Z');
const NEW_KEY_PASSWORD = 'Bench2025pass';

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'qt-bench-agent-'));
  const keyDir = join(dir, 'keys');
  // The agent's TLS identity is made first, so the browser can be told to trust its key (as `agent install` does
  // through the NSS database; the browser test proves that path, here it would only add set-up).
  const tls = await loadOrCreateLocalTls(join(dir, 'tls'));
  const spki = new X509Certificate(tls.server.cert as string).publicKey.export({ format: 'der', type: 'spki' });
  const browser = await launchChromium([`--ignore-certificate-errors-spki-list=${createHash('sha256').update(spki).digest('base64')}`]);
  const site = await startTestSite();
  try {
    // Same key for both sides: the agent opens the NCA key file; OpenSSL gets its key and certificate as PEM.
    mkdirSync(keyDir);
    copyFileSync(fixturePath(...nca.validSignKey), join(keyDir, KEY_FILE));
    const pem = openssl(['pkcs12', '-legacy', '-in', join(keyDir, KEY_FILE), '-passin', `pass:${TEST_KEY_PASSWORD}`, '-nodes']).toString();
    writeFileSync(join(dir, 'key.pem'), pem.slice(pem.indexOf('-----BEGIN PRIVATE KEY-----')), { mode: 0o600 });
    writeFileSync(join(dir, 'cert.pem'), pem.slice(pem.indexOf('-----BEGIN CERTIFICATE-----'), pem.indexOf('-----END CERTIFICATE-----') + 26));

    const context = await browser.newContext({ locale: 'ru-RU' });
    const tabs = new ConsentTabs(context);
    const tsa = await startTestTsa();
    const agent = await startTestAgent({ allowedOrigins: [site.origin], keyDirs: [keyDir], newKeysDir: join(dir, 'new'), openConsent: tabs.opener, now: () => KEY_TIME, tsaUrl: tsa.url, tls: tls.server });
    const portal = await openSitePage(context, site, agent.url);
    await portal.evaluate(() => {
      const w = window as unknown as { client: { onResponseReady: ((m: string) => void) | null }; repliedAt: number };
      w.client.onResponseReady = () => {
        w.repliedAt = Date.now();
      };
    });

    /** One operation: start it in the portal, answer the consent like a user, time click → reply. */
    async function viaAgent(start: (portal: Page) => Promise<unknown>, answer: (consent: Page) => Promise<void>, confirmLabel: string): Promise<number> {
      const result = start(portal);
      const consent = await tabs.next();
      await answer(consent);
      const button = consent.getByRole('button', { name: confirmLabel });
      await button.waitFor();
      const clickedAt = Date.now();
      await button.click();
      const outcome = (await result) as { ok: boolean; error?: string };
      if (!outcome.ok) throw new Error(`agent call failed: ${outcome.error}`);
      const repliedAt = await portal.evaluate(() => (window as unknown as { repliedAt: number }).repliedAt);
      await consent.close();
      return repliedAt - clickedAt;
    }

    /** basics.sign CMS with these signingParams: without tsaProfile no stamp, with one a stamp from the local TSA. */
    const PLAIN_ATTACHED = { decode: true, encapsulate: true, digested: false };
    const PLAIN_DETACHED = { decode: true, encapsulate: false, digested: false };
    const STAMPED_ATTACHED = { ...PLAIN_ATTACHED, tsaProfile: {} };
    const signCms = (data: string, params: Record<string, unknown>) => (p: Page) =>
      p.evaluate(
        async ([d, sp]) => {
          const w = window as unknown as { client: { basicsSignCMS(...a: unknown[]): Promise<string> }; NCALayerClient: Record<string, unknown> };
          const C = w.NCALayerClient;
          try {
            await w.client.basicsSignCMS(C.basicsStoragePKCS12, d, sp, C.basicsSignerAny);
            return { ok: true };
          } catch (e) {
            return { ok: false, error: String(e) };
          }
        },
        [data, params] as const,
      );
    const unlock = (consent: Page) => unlockStorage(consent, { file: KEY_FILE, secret: TEST_KEY_PASSWORD });

    const small = randomBytes(1024);
    const large = randomBytes(10 * 1024 * 1024);
    writeFileSync(join(dir, 'small.bin'), small);
    writeFileSync(join(dir, 'large.bin'), large);
    const xml = `<?xml version="1.0" encoding="UTF-8"?><request><person iin="123456789011">ТЕСТОВ ТЕСТ</person>${'<item>данные заявки</item>'.repeat(20)}</request>`;
    writeFileSync(join(dir, 'template.xml'), xmlsecTemplate(xml));

    /**
     * Ours and the baseline one after the other, run by run, so the load of this shared machine weighs on both
     * alike (the medians of separate series taken minutes apart can differ by 2× here). RSA key generation
     * varies from key to key anyway (prime search), which is why every run counts.
     */
    const paired = async (label: string, runs: number, once: () => Promise<number>, baseline: () => number) => {
      await once(); // warm-up: first-use costs (JIT, key file cache) are not per operation
      baseline();
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let i = 0; i < runs; i++) {
        ours.push(await once());
        theirs.push(baseline());
      }
      process.stderr.write(`  ${label}: ${ours.map((t) => t.toFixed(0)).join(', ')} ms; baseline ${theirs.map((t) => t.toFixed(0)).join(', ')} ms\n`);
      return { ours: median(ours), theirs: median(theirs) };
    };
    const opensslTime = (args: string[]) => timedCommand('openssl', args).ms;

    const cms1k = await paired('CMS 1 KB', RUNS, () => viaAgent(signCms(small.toString('base64'), PLAIN_ATTACHED), unlock, 'Подписать'), () => opensslTime(['cms', '-sign', '-binary', '-nodetach', '-md', 'sha256', '-in', join(dir, 'small.bin'), '-signer', join(dir, 'cert.pem'), '-inkey', join(dir, 'key.pem'), '-outform', 'DER', '-out', join(dir, 'small.p7s')]));
    const cms10m = await paired('CMS 10 MB', Math.max(3, Math.ceil(RUNS / 2)), () => viaAgent(signCms(large.toString('base64'), PLAIN_DETACHED), unlock, 'Подписать'), () => opensslTime(['cms', '-sign', '-binary', '-md', 'sha256', '-in', join(dir, 'large.bin'), '-signer', join(dir, 'cert.pem'), '-inkey', join(dir, 'key.pem'), '-outform', 'DER', '-out', join(dir, 'large.p7s')]));
    // CAdES-T: the same 1 KB CMS with a stamp from the local TSA (openssl ts -reply behind HTTP). OpenSSL's side:
    // cms -sign, then ts -query over the signature value and ts -reply from the same TSA configuration (OpenSSL's
    // command line cannot put the token into the CMS, so its figure is a little lower than the whole work).
    writeFileSync(join(dir, 'signature.bin'), randomBytes(256));
    const stamped = await paired('CMS 1 KB + time-stamp', RUNS, () => viaAgent(signCms(small.toString('base64'), STAMPED_ATTACHED), unlock, 'Подписать'), () =>
      opensslTime(['cms', '-sign', '-binary', '-nodetach', '-md', 'sha256', '-in', join(dir, 'small.bin'), '-signer', join(dir, 'cert.pem'), '-inkey', join(dir, 'key.pem'), '-outform', 'DER', '-out', join(dir, 'small.p7s')]) +
      opensslTime(['ts', '-query', '-data', join(dir, 'signature.bin'), '-sha256', '-cert', '-out', join(dir, 'q.tsq')]) +
      opensslTime(['ts', '-reply', '-config', tsa.configFile, '-queryfile', join(dir, 'q.tsq'), '-out', join(dir, 'r.tsr')]),
    );
    const roundTrips = await wsRoundTrips(portal, agent.port);
    const xml1k = await paired('XML', RUNS, () =>
      viaAgent(
        (p) =>
          p.evaluate(async (doc) => {
            const w = window as unknown as { client: { signXml(...a: unknown[]): Promise<string> } };
            try {
              await w.client.signXml('PKCS12', doc, 'SIGNATURE', '', '');
              return { ok: true };
            } catch (e) {
              return { ok: false, error: String(e) };
            }
          }, xml),
        unlock,
        'Подписать',
      ),
      () => timedCommand('xmlsec1', ['--sign', '--privkey-pem', `${join(dir, 'key.pem')},${join(dir, 'cert.pem')}`, '--output', join(dir, 'signed.xml'), join(dir, 'template.xml')]).ms,
    );

    // Key generation: one request creates the AUTH and the SIGN pair (2 × RSA-2048 + 2 CSRs + sealing each key).
    // RSA key generation time varies a lot from one key to the next (prime search): every run counts.
    const keygen = await paired('AUTH+SIGN key pairs + CSRs', RUNS, () =>
      viaAgent(
        (p) =>
          p.evaluate(
            ([url]) =>
              new Promise((resolve) => {
                const ws = new WebSocket(url as string);
                let greeted = false;
                ws.onmessage = (m) => {
                  if (!greeted) {
                    greeted = true;
                    ws.send(JSON.stringify({ module: 'kz.qoltanba.keys', method: 'generateKeys', args: { storage: 'PKCS12' } }));
                    return;
                  }
                  (window as unknown as { repliedAt: number }).repliedAt = Date.now();
                  const reply = JSON.parse(m.data as string) as { status: boolean; message?: string };
                  resolve(reply.status ? { ok: true } : { ok: false, error: reply.message });
                  ws.close();
                };
              }),
            [agent.url] as const,
          ),
        async (consent) => {
          await consent.getByLabel('Пароль для новых файлов ключей').fill(NEW_KEY_PASSWORD);
          await consent.getByLabel('Повторите пароль').fill(NEW_KEY_PASSWORD);
        },
        'Создать ключи',
      ),
      () => {
        let ms = 0;
        for (const kind of ['auth', 'sign']) {
          ms += opensslTime(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, `${kind}.key`), '-out', join(dir, `${kind}.csr`), '-subj', '/CN=ТЕСТОВ ТЕСТ/serialNumber=IIN123456789011/C=KZ', '-utf8']);
        }
        return ms;
      },
    );

    await agent.dispose();
    await tsa.close();
    printTable(`Local agent, from the user's confirmation to the reply in the page (median; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})`, [
      { what: 'CMS sign, 1 KB, attached', ours: millis(cms1k.ours), openssl: millis(cms1k.theirs), note: 'openssl cms -sign -nodetach (process start included)' },
      { what: 'CMS sign, 10 MB, detached', ours: millis(cms10m.ours), openssl: millis(cms10m.theirs), note: 'the 13.4 MB base64 frame arrives and is decoded before the consent page opens; after the click: hash + sign + reply' },
      { what: 'CMS sign, 1 KB, attached, with time-stamp (CAdES-T)', ours: millis(stamped.ours), openssl: millis(stamped.theirs), note: 'openssl cms -sign + ts -query + ts -reply; ours: sign, HTTP to the local TSA (an openssl ts -reply each), token checked and embedded' },
      { what: 'WebSocket round trip, wss:// (TLS)', ours: millis(roundTrips.wss), openssl: millis(roundTrips.ws), note: `baseline: the same request over ws:// (mean of ${ROUND_TRIPS} getActiveTokens, one connection each way)` },
      { what: 'WebSocket connect + greeting, wss://', ours: millis(roundTrips.wssConnect), openssl: millis(roundTrips.wsConnect), note: 'baseline: ws://; TLS 1.3 handshake with the installation\'s ECDSA P-256 certificate' },
      { what: 'XML sign (~1 KB, NCALayer layout)', ours: millis(xml1k.ours), openssl: millis(xml1k.theirs), note: 'baseline: xmlsec1 --sign (OpenSSL itself has no XMLDSig)' },
      { what: 'RSA-2048 key pair + CSR, AUTH and SIGN', ours: millis(keygen.ours), openssl: millis(keygen.theirs), note: 'openssl req -newkey rsa:2048 ×2; agent: the pairs are made while the person types the password (not timed), after the click one scrypt (32 MiB) seals both + 2 CSRs' },
    ]);
  } finally {
    await browser.close();
    await site.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const ROUND_TRIPS = 200;

/**
 * wss:// beside ws:// from inside the page, as a site's script sees them: mean time of a cheap request on an
 * open connection (getActiveTokens), and median time to connect and get the greeting.
 */
async function wsRoundTrips(page: Page, port: number): Promise<{ wss: number; ws: number; wssConnect: number; wsConnect: number }> {
  // tsx (esbuild, keepNames) wraps the named helpers below in __name(…), which the page does not have.
  await page.evaluate('globalThis.__name ??= (f) => f');
  return page.evaluate(
    async ([p, n]) => {
      const open = (url: string) =>
        new Promise<{ ws: WebSocket; ms: number }>((resolve, reject) => {
          const started = performance.now();
          const ws = new WebSocket(url);
          ws.onmessage = () => resolve({ ws, ms: performance.now() - started });
          ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
        });
      const frame = JSON.stringify({ module: 'kz.gov.pki.knca.commonUtils', method: 'getActiveTokens' });
      async function roundTrips(ws: WebSocket): Promise<number> {
        const started = performance.now();
        for (let i = 0; i < n; i++) {
          await new Promise<void>((resolve) => {
            ws.onmessage = () => resolve();
            ws.send(frame);
          });
        }
        return (performance.now() - started) / n;
      }
      const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
      const connects = { wss: [] as number[], ws: [] as number[] };
      for (let i = 0; i < 21; i++) {
        for (const scheme of ['wss', 'ws'] as const) {
          const c = await open(`${scheme}://127.0.0.1:${p}`);
          connects[scheme].push(c.ms);
          c.ws.close();
        }
      }
      const secure = await open(`wss://127.0.0.1:${p}`);
      const plain = await open(`ws://127.0.0.1:${p}`);
      await roundTrips(secure.ws); // warm-up
      await roundTrips(plain.ws);
      const result = { wss: await roundTrips(secure.ws), ws: await roundTrips(plain.ws), wssConnect: mid(connects.wss), wsConnect: mid(connects.ws) };
      secure.ws.close();
      plain.ws.close();
      return result;
    },
    [port, ROUND_TRIPS] as const,
  );
}

/** An xmlsec1 signing template in NCALayer's shape (enveloped, c14n with comments, rsa-sha256, sha256). */
function xmlsecTemplate(xml: string): string {
  const signature = `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>`;
  return xml.replace(/<\/request>$/, `${signature}</request>`);
}
