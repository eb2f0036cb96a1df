/**
 * One public address: the first start (or `ca init`) stores it; a certificate the CLI issues — with this
 * machine's defaults, PORT unset — carries the stored address, not :8080; every address in it answers at
 * once (OCSP asked the OpenSSL way, `-url "$(openssl x509 -ocsp_uri)"`, the CRL and delta CRL distribution
 * points, CA issuers, the CPS); a process on another port keeps the stored address and says so; only
 * --public-url changes it, in the audit log. On PostgreSQL the CLI issues while the server runs; on the
 * embedded database between two starts (PGlite admits one process).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { buildIin } from '@qoltanba/pki';
import { openDatabase, startServer, type RunningServer } from '@qoltanba/server';
import { createTestDatabase, type TestDatabase } from '@qoltanba/server/testing';
import { runQoltanba } from '../testing/run.ts';
import { makeTestHome } from '../testing/home.ts';

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}


/** The log lines a server writes (pino JSON), to read its warnings. */
function logSink(): { stream: Writable; lines: () => { level: number; msg: string }[] } {
  const chunks: string[] = [];
  const stream = new Writable({ write: (c, _e, cb) => (chunks.push(String(c)), cb()) });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

const openssl = (args: string[]) => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
// The server runs in this process: anything that talks to it must not block the event loop.
const opensslAsync = async (args: string[]) => (await promisify(execFile)('openssl', args, { encoding: 'utf8' })).stdout;

/**
 * Everything the certificate names, asked the way a relying party asks: OCSP through openssl at the
 * certificate's own -ocsp_uri, and a plain GET of each CRL, delta CRL, CA issuers and CPS address.
 */
async function checkEveryAddress(work: string, certPem: string, base: string): Promise<void> {
  const cert = join(work, `cert-${Math.random().toString(36).slice(2)}.pem`);
  writeFileSync(cert, certPem);
  const ocspUri = openssl(['x509', '-in', cert, '-noout', '-ocsp_uri']).trim();
  assert.equal(ocspUri, `${base}/ocsp`);
  const text = openssl(['x509', '-in', cert, '-noout', '-text']);
  const uris = [...text.matchAll(/URI:(\S+)/g)].map((m) => m[1]!);
  const cps = /CPS: (\S+)/.exec(text)?.[1];
  assert.deepEqual(uris.sort(), [`${base}/cert/rsa.cer`, `${base}/crl/rsa-delta.crl`, `${base}/crl/rsa.crl`, `${base}/ocsp`].sort());
  assert.equal(cps, `${base}/cps`);
  const ocsp = await opensslAsync(['ocsp', '-issuer', join(work, 'rsa.crt'), '-cert', cert, '-url', ocspUri, '-CAfile', join(work, 'chain.pem'), '-no_nonce']);
  assert.match(ocsp, /: good/);
  for (const url of [...uris.filter((u) => !u.endsWith('/ocsp')), cps!]) {
    const r = await fetch(url);
    assert.equal(r.status, 200, url);
    if (url.endsWith('.crl')) {
      const file = join(work, 'fetched.crl');
      writeFileSync(file, Buffer.from(await r.arrayBuffer()));
      assert.match(openssl(['crl', '-inform', 'DER', '-in', file, '-CAfile', join(work, 'rsa.crt'), '-noout', '-verify', '-text']), url.includes('-delta') ? /Delta CRL Indicator/ : /X509v3 CRL Number/);
    }
  }
}

function chainFiles(home: string, work: string): void {
  const root = openssl(['x509', '-in', join(home, 'ca', 'root-rsa.crt')]);
  const issuing = openssl(['x509', '-in', join(home, 'ca', 'rsa.crt')]);
  writeFileSync(join(work, 'rsa.crt'), issuing);
  writeFileSync(join(work, 'chain.pem'), issuing + root);
}

describe('one public address (PostgreSQL: the CLI issues while the server runs on another port)', () => {
  const { home, passphraseFile } = makeTestHome('qt-public-url-pg-');
  const work = mkdtempSync(join(tmpdir(), 'qt-public-url-work-'));
  let database: TestDatabase;
  let server: RunningServer | undefined;
  const saved = { url: process.env.DATABASE_URL, port: process.env.PORT, pass: process.env.QOLTANBA_PASSPHRASE };
  let base = '';

  before(async () => {
    database = await createTestDatabase('postgres', { migrated: false });
    process.env.DATABASE_URL = database.openOptions.databaseUrl;
    delete process.env.PORT;
  });
  after(async () => {
    await server?.close();
    await database?.dispose();
    for (const [k, v] of [['DATABASE_URL', saved.url], ['PORT', saved.port], ['QOLTANBA_PASSPHRASE', saved.pass]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(home, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  test('the first start stores its address; /api/v1/ca and every address it lists answer at once, the delta CRL included', async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = await startServer({ home, env: { PATH: process.env.PATH, DATABASE_URL: database.openOptions.databaseUrl } as NodeJS.ProcessEnv, overrides: { port, keys: { passphraseFile } }, logger: false });
    assert.equal(server.config.publicUrl, base);
    const list = (await (await fetch(`${base}/api/v1/ca`)).json()) as { cas: Record<string, string>[] };
    assert.equal(list.cas.length, 1);
    for (const field of ['certificateUrl', 'crlUrl', 'deltaCrlUrl', 'issuerCertificateUrl']) {
      assert.ok(list.cas[0]![field]!.startsWith(`${base}/`), field);
      assert.equal((await fetch(list.cas[0]![field]!)).status, 200, field);
    }
    assert.equal(list.cas[0]!.ocspUrl, `${base}/ocsp`);
    const cps = await fetch(`${base}/cps`, { headers: { 'accept-language': 'kk' } });
    assert.equal(cps.status, 200);
    assert.match(await cps.text(), /Куәландырушы орталықтың регламенті/);
  });

  test('the CLI, on its defaults (PORT unset, so :8080), issues a certificate that names the stored address; OpenSSL and plain GETs reach all of it', async () => {
    chainFiles(home, work);
    const csr = join(work, 'a.csr');
    execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(work, 'a.key'), '-subj', '/CN=x', '-out', csr], { stdio: 'ignore' });
    const iin = buildIin({ birthDate: '1991-04-05', sex: 'male', number: 4242 });
    const r = await runQoltanba(['--home', home, '--passphrase-file', passphraseFile, 'issue', '--csr', csr, '--profile', 'individual-sign', '--iin', iin, '--name', 'АДРЕСОВ АСҚАР']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no warning: the CLI was not told another address');
    assert.doesNotMatch(r.stdout, /8080/);
    await checkEveryAddress(work, r.stdout, base);
  });

  test('a process on another port keeps the stored address and warns; --public-url changes it and the change is audited', async () => {
    await server?.close();
    const other = await freePort();
    const log = logSink();
    server = await startServer({ home, env: { PATH: process.env.PATH } as NodeJS.ProcessEnv, overrides: { databaseUrl: database.openOptions.databaseUrl, port: other, keys: { passphraseFile } }, logger: { level: 'warn', stream: log.stream } });
    assert.equal(server.config.publicUrl, base);
    const warning = log.lines().find((l) => l.level === 40 && l.msg.includes('public address'));
    assert.ok(warning, JSON.stringify(log.lines()));
    assert.match(warning.msg, new RegExp(`is ${base.replace(/[.:/]/g, '\\$&')}.*--public-url http://127\\.0\\.0\\.1:${other}`));
    const listed = (await (await fetch(`http://127.0.0.1:${other}/api/v1/ca`)).json()) as { cas: { crlUrl: string }[] };
    assert.equal(listed.cas[0]!.crlUrl, `${base}/crl/rsa.crl`);
    await server.close();

    const moved = `https://pki.example.kz/qoltanba`;
    server = await startServer({ home, env: { PATH: process.env.PATH } as NodeJS.ProcessEnv, overrides: { databaseUrl: database.openOptions.databaseUrl, port: other, publicUrl: `${moved}/`, keys: { passphraseFile } }, logger: false });
    assert.equal(server.config.publicUrl, moved);
    const store = await openDatabase({ databaseUrl: database.openOptions.databaseUrl, dataDir: join(home, 'db') });
    try {
      const audit = await store.db.selectFrom('audit_log').select(['action', 'details']).where('action', 'like', 'installation.public-url.%').orderBy('seq').execute();
      assert.deepEqual(audit.map((a) => [a.action, a.details]), [
        ['installation.public-url.set', { url: base, source: 'derived' }],
        ['installation.public-url.changed', { from: base, to: moved }],
      ]);
    } finally {
      await store.close();
    }
    const bad = await runQoltanba(['--home', home, '--passphrase-file', passphraseFile, 'ca', 'init', '--public-url', 'ftp://example.kz']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /QT_ERR_INPUT_INVALID: The public URL "ftp:\/\/example\.kz" must be an http or https address/);
  });
});

describe('one public address (embedded database: ca init --public-url, the CLI between starts)', () => {
  const { home, passphraseFile } = makeTestHome('qt-public-url-pglite-');
  const work = mkdtempSync(join(tmpdir(), 'qt-public-url-work-'));
  let server: RunningServer | undefined;
  const saved = process.env.DATABASE_URL;
  const q = (...args: string[]) => runQoltanba(['--home', home, '--passphrase-file', passphraseFile, ...args]);

  before(() => {
    delete process.env.DATABASE_URL;
  });
  after(async () => {
    await server?.close();
    if (saved !== undefined) process.env.DATABASE_URL = saved;
    rmSync(home, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  test('ca init stores the address it is given and publishes the first full and delta CRL of each CA; the CLI issues to that address; the server on that port answers all of it', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const init = await q('ca', 'init', '--public-url', base, '--json');
    assert.equal(init.code, 0, init.stderr);
    const out = JSON.parse(init.stdout) as { publicUrl: string; crls: { ca: string; kind: string }[] };
    assert.equal(out.publicUrl, base);
    assert.deepEqual(out.crls.map((c) => `${c.ca}:${c.kind}`).sort(), ['root-rsa:delta', 'root-rsa:full', 'rsa:delta', 'rsa:full']);
    chainFiles(home, work);
    const csr = join(work, 'b.csr');
    execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(work, 'b.key'), '-subj', '/CN=x', '-out', csr], { stdio: 'ignore' });
    const issued = await q('issue', '--csr', csr, '--profile', 'individual-auth', '--iin', buildIin({ birthDate: '1979-12-31', sex: 'female', number: 77 }), '--name', 'АДРЕСОВА ӘЙГЕРІМ');
    assert.equal(issued.code, 0, issued.stderr);
    server = await startServer({ home, env: { PATH: process.env.PATH } as NodeJS.ProcessEnv, overrides: { port, keys: { passphraseFile } }, logger: false });
    assert.equal(server.config.publicUrl, base);
    await checkEveryAddress(work, issued.stdout, base);
  });
});
