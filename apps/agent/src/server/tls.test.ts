import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { connectRaw } from '../testing/agent-client.ts';
import { launchChromium, openSitePage, startTestSite } from '../testing/browser.ts';
import { startTestAgent } from '../testing/test-agent.ts';
import { startAgent } from '../agent.ts';

const SITE = 'https://portal.example.kz';
const GET_TOKENS = { module: 'kz.gov.pki.knca.commonUtils', method: 'getActiveTokens' };

describe('wss:// with a certificate generated for this installation', () => {
  test('one port speaks wss:// and ws://; the certificate names only 127.0.0.1/localhost and its key is private to the user', async () => {
    const agent = await startTestAgent({ allowedOrigins: [SITE], tls: true });
    try {
      assert.equal(agent.secureUrl, `wss://127.0.0.1:${agent.port}`);
      const cert = new X509Certificate(agent.tlsCertificate as string);
      assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
      assert.match(cert.subjectAltName ?? '', /DNS:localhost/);
      assert.equal(cert.ca, false);
      const keyMode = (await stat(join(agent.dataDir, 'tls', 'agent-key.pem'))).mode & 0o777;
      assert.equal(keyMode, 0o600);

      const secure = await connectRaw(agent.secureUrl as string, { Origin: SITE }, { ca: agent.tlsCertificate });
      assert.deepEqual(JSON.parse(secure.greeting), { result: { version: '1.4' } });
      assert.deepEqual(await secure.call(GET_TOKENS), { code: '200', responseObject: [] });
      secure.close();
      const plain = await connectRaw(agent.url, { Origin: SITE });
      assert.deepEqual(await plain.call(GET_TOKENS), { code: '200', responseObject: [] });
      plain.close();
      // A client that does not trust this installation's certificate cannot connect.
      await assert.rejects(connectRaw(agent.secureUrl as string, { Origin: SITE }));
    } finally {
      await agent.dispose();
    }
  });

  test('the identity is kept across restarts and differs between installations', async () => {
    const first = await startTestAgent({ allowedOrigins: [SITE], tls: true });
    const other = await startTestAgent({ allowedOrigins: [SITE], tls: true });
    try {
      await first.close();
      const again = await startAgent({ port: 0, allowedOrigins: [SITE], dataDir: first.dataDir, tls: true, log: () => {} });
      assert.equal(again.tlsCertificate, first.tlsCertificate);
      await again.close();
      assert.notEqual(new X509Certificate(other.tlsCertificate as string).publicKey.export({ format: 'der', type: 'spki' }).toString('hex'),
        new X509Certificate(first.tlsCertificate as string).publicKey.export({ format: 'der', type: 'spki' }).toString('hex'));
    } finally {
      await first.dispose().catch(() => {});
      await other.dispose();
    }
  });

  test('ncalayer-js-client in Chromium connects over wss:// once the browser trusts this installation\'s key', async () => {
    const site = await startTestSite();
    const agent = await startTestAgent({ allowedOrigins: [site.origin], tls: true });
    const spki = new X509Certificate(agent.tlsCertificate as string).publicKey.export({ format: 'der', type: 'spki' });
    const browser = await launchChromium([`--ignore-certificate-errors-spki-list=${createHash('sha256').update(spki).digest('base64')}`]);
    try {
      const page = await openSitePage(await browser.newContext(), site, agent.secureUrl as string);
      const tokens = await page.evaluate(() => (window as unknown as { client: { getActiveTokens(): Promise<string[]> } }).client.getActiveTokens());
      assert.deepEqual(tokens, []);
    } finally {
      await browser.close();
      await agent.dispose();
      await site.close();
    }
  });
});
