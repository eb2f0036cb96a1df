import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { connectRaw } from '../testing/agent-client.ts';
import { launchChromium, openSitePage, startTestSite } from '../testing/browser.ts';
import { startTestAgent } from '../testing/test-agent.ts';
import { startAgent } from '../agent.ts';
import { rotateLocalCa } from '../tls/local-ca.ts';

const run = promisify(execFile);
const SITE = 'https://portal.example.kz';
const GET_TOKENS = { module: 'kz.gov.pki.knca.commonUtils', method: 'getActiveTokens' };

/** `openssl verify` of the server certificate against the installation's CA, for a host name or an address. */
async function opensslVerify(dir: string, caPem: string, leafPem: string, check: string[]): Promise<{ ok: boolean; out: string }> {
  await writeFile(join(dir, 'ca.pem'), caPem);
  await writeFile(join(dir, 'leaf.pem'), leafPem);
  try {
    const { stdout, stderr } = await run('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), '-purpose', 'sslserver', ...check, join(dir, 'leaf.pem')]);
    return { ok: true, out: stdout + stderr };
  } catch (e) {
    const err = e as { stdout: string; stderr: string };
    return { ok: false, out: err.stdout + err.stderr };
  }
}

describe('wss:// by default, with a local CA made for this installation', () => {
  test('one port speaks wss:// and ws://; a client that trusts the installation\'s CA connects, one that does not cannot', async () => {
    const agent = await startTestAgent({ allowedOrigins: [SITE] });
    try {
      assert.equal(agent.secureUrl, `wss://127.0.0.1:${agent.port}`);
      const secure = await connectRaw(agent.secureUrl as string, { Origin: SITE }, { ca: agent.tlsCaCertificate });
      assert.deepEqual(JSON.parse(secure.greeting), { result: { version: '1.4' } });
      assert.deepEqual(await secure.call(GET_TOKENS), { code: '200', responseObject: [] });
      secure.close();
      const plain = await connectRaw(agent.url, { Origin: SITE });
      assert.deepEqual(await plain.call(GET_TOKENS), { code: '200', responseObject: [] });
      plain.close();
      await assert.rejects(connectRaw(agent.secureUrl as string, { Origin: SITE }));
    } finally {
      await agent.dispose();
    }
  });

  test('the CA is name-constrained to 127.0.0.1/localhost and server authentication; its key is private to the user', async () => {
    const agent = await startTestAgent({ allowedOrigins: [SITE] });
    const dir = await mkdtemp(join(tmpdir(), 'qt-ca-check-'));
    try {
      const ca = new X509Certificate(agent.tlsCaCertificate as string);
      const server = new X509Certificate(agent.tlsCertificate as string);
      assert.equal(ca.ca, true);
      assert.equal(server.ca, false);
      assert.ok(server.checkIssued(ca));
      assert.match(server.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
      assert.match(server.subjectAltName ?? '', /DNS:localhost/);
      await writeFile(join(dir, 'ca.pem'), agent.tlsCaCertificate as string);
      const caText = (await run('openssl', ['x509', '-in', join(dir, 'ca.pem'), '-noout', '-text'])).stdout;
      assert.match(caText, /X509v3 Name Constraints: critical\s+Permitted:\s+DNS:localhost\s+IP:127\.0\.0\.1\/255\.255\.255\.255/);
      assert.match(caText, /X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
      for (const name of ['ca-key.pem', 'server-key.pem']) assert.equal((await stat(join(agent.dataDir, 'tls', name))).mode & 0o777, 0o600);
      assert.equal((await stat(join(agent.dataDir, 'tls'))).mode & 0o777, 0o700);

      assert.ok((await opensslVerify(dir, agent.tlsCaCertificate as string, agent.tlsCertificate as string, ['-verify_ip', '127.0.0.1'])).ok);
      assert.ok((await opensslVerify(dir, agent.tlsCaCertificate as string, agent.tlsCertificate as string, ['-verify_hostname', 'localhost'])).ok);
      // Whoever gets hold of the CA key still cannot vouch for another site: OpenSSL refuses such a certificate.
      const caKey = join(agent.dataDir, 'tls', 'ca-key.pem');
      await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'evil.key'), '-subj', '/CN=bank.example.kz', '-out', join(dir, 'evil.csr')]);
      await writeFile(join(dir, 'ext.cnf'), 'subjectAltName=DNS:bank.example.kz\nextendedKeyUsage=serverAuth\n');
      await run('openssl', ['x509', '-req', '-in', join(dir, 'evil.csr'), '-CA', join(dir, 'ca.pem'), '-CAkey', caKey, '-set_serial', '7', '-days', '2', '-extfile', join(dir, 'ext.cnf'), '-out', join(dir, 'evil.pem')]);
      const evil = await opensslVerify(dir, agent.tlsCaCertificate as string, await readFile(join(dir, 'evil.pem'), 'utf8'), []);
      assert.equal(evil.ok, false);
      assert.match(evil.out, /permitted subtree violation/);
    } finally {
      await agent.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('the CA is kept across restarts and differs between installations; rotating makes a new one the old cannot vouch for', async () => {
    const first = await startTestAgent({ allowedOrigins: [SITE] });
    const other = await startTestAgent({ allowedOrigins: [SITE] });
    try {
      await first.close();
      const again = await startAgent({ port: 0, allowedOrigins: [SITE], dataDir: first.dataDir, log: () => {} });
      assert.equal(again.tlsCaCertificate, first.tlsCaCertificate);
      assert.equal(again.tlsCertificate, first.tlsCertificate);
      await again.close();
      assert.notEqual(other.tlsCaCertificate, first.tlsCaCertificate);

      const rotated = await rotateLocalCa(join(first.dataDir, 'tls'));
      assert.notEqual(rotated.caCertificate, first.tlsCaCertificate);
      const after = await startAgent({ port: 0, allowedOrigins: [SITE], dataDir: first.dataDir, log: () => {} });
      try {
        assert.equal(after.tlsCaCertificate, rotated.caCertificate);
        assert.ok(new X509Certificate(after.tlsCertificate as string).checkIssued(new X509Certificate(rotated.caCertificate)));
        await assert.rejects(connectRaw(after.secureUrl as string, { Origin: SITE }, { ca: first.tlsCaCertificate }));
        const ok = await connectRaw(after.secureUrl as string, { Origin: SITE }, { ca: rotated.caCertificate });
        ok.close();
      } finally {
        await after.close();
      }
    } finally {
      await first.dispose().catch(() => {});
      await other.dispose();
    }
  });

  test('tls: false serves plain ws:// only', async () => {
    const agent = await startTestAgent({ allowedOrigins: [SITE], tls: false });
    try {
      assert.equal(agent.secureUrl, undefined);
      assert.equal(agent.tlsCaCertificate, undefined);
      const plain = await connectRaw(agent.url, { Origin: SITE });
      plain.close();
    } finally {
      await agent.dispose();
    }
  });

  test('ncalayer-js-client in Chromium connects over wss:// once the browser trusts this installation\'s key', async () => {
    const site = await startTestSite();
    const agent = await startTestAgent({ allowedOrigins: [site.origin] });
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
