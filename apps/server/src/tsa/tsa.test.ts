/**
 * The time-stamping authority over HTTP, judged by outside referees: `openssl ts -query` makes the request,
 * curl posts it to /tsp, `openssl ts -verify` checks the reply against the query, the data and the CA
 * certificates /api/v1/ca lists. GOST tokens (Kazakh OIDs, which openssl's ts command cannot name) are
 * checked by our verifier and path validation with the CA's own CRL.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTimeStampToken, derFrom, oid, parseTimeStampToken, streebog512, toHex, utf8, verifyCms } from '@qoltanba/pki';
import { testRequest } from '@qoltanba/pki/testing';
import { verifyAudit } from '../audit/index.ts';
import { describeEachBackend } from '../store/testing/backends.ts';
import { resolveTsaOptions } from './options.ts';
import { createTsaService } from './service.ts';
import { startTsaHarness, type TsaHarness } from './testing/harness.ts';

const execFileAsync = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'qt-tsa-http-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const file = (name: string) => join(scratch, name);

function openssl(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout}\n${r.stderr}` };
}

/**
 * curl as the client: the query file posted as application/timestamp-query; returns the HTTP status and
 * content type. Asynchronous: the server answers on this process's event loop.
 */
async function curlPost(url: string, query: string, reply: string): Promise<{ status: number; type: string }> {
  const { stdout } = await execFileAsync('curl', ['-sS', '-o', reply, '-w', '%{http_code} %{content_type}', '-H', 'Content-Type: application/timestamp-query', '--data-binary', `@${query}`, url], { encoding: 'utf8' });
  const [status, type] = stdout.split(' ');
  return { status: Number(status), type: type ?? '' };
}

async function post(url: string, body: Uint8Array): Promise<{ status: number; der: Uint8Array }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: body as Uint8Array<ArrayBuffer> });
  return { status: res.status, der: new Uint8Array(await res.arrayBuffer()) };
}

describeEachBackend('time-stamping authority (POST /tsp)', (db) => {
  let h: TsaHarness;
  const serials: string[] = [];

  test('the harness: a ceremony with RSA and GOST issuing CAs, each with its TSA, served over HTTP', async () => {
    h = await startTsaHarness(db.store, { tsa: { acceptPolicies: [oid.policyNcaTsa] } });
  });
  after(() => h?.close());

  test('/api/v1/ca lists the TSA of each issuing CA, the default /tsp and its policy', async () => {
    const list = (await (await fetch(`${h.url}/api/v1/ca`)).json()) as { cas: { name: string; tsaUrl: string | null; tsaCertificate: string | null }[]; tsaUrl: string; tsaPolicy: string };
    assert.deepEqual(list.cas.map((c) => [c.name, c.tsaUrl]), [['rsa', `${h.url}/tsp/rsa`], ['gost', `${h.url}/tsp/gost`]]);
    assert.equal(list.tsaUrl, `${h.url}/tsp`);
    assert.equal(list.tsaPolicy, oid.policyQoltanbaTsa);
    writeFileSync(file('tsa-rsa.pem'), `-----BEGIN CERTIFICATE-----\n${list.cas[0]!.tsaCertificate}\n-----END CERTIFICATE-----\n`);
    assert.match(openssl(['verify', '-purpose', 'timestampsign', '-CAfile', h.files.root, '-untrusted', h.files.rsa, file('tsa-rsa.pem')]).out, /: OK/);
  });

  test('openssl ts -query → curl POST /tsp → openssl ts -verify passes, with and without nonce and certificates, for SHA-256/384/512 and SHA-1', async () => {
    const data = file('contract.txt');
    writeFileSync(data, 'Шарт: 2026 жылғы 1 наурыз. Тараптар келісті.');
    writeFileSync(file('untrusted.pem'), readFileSync(file('tsa-rsa.pem'), 'utf8') + readFileSync(h.files.rsa, 'utf8'));
    for (const [hash, extra] of [['-sha256', ['-cert']], ['-sha384', ['-no_nonce']], ['-sha512', ['-cert']], ['-sha1', ['-cert', '-no_nonce']]] as [string, string[]][]) {
      execFileSync('openssl', ['ts', '-query', '-data', data, hash, ...extra, '-out', file('q.tsq')]);
      const answer = await curlPost(`${h.url}/tsp`, file('q.tsq'), file('r.tsr'));
      assert.deepEqual(answer, { status: 200, type: 'application/timestamp-reply' });
      const certs = extra.includes('-cert') ? [] : ['-untrusted', file('untrusted.pem')];
      const verified = openssl(['ts', '-verify', '-in', file('r.tsr'), '-queryfile', file('q.tsq'), '-CAfile', h.files.root, ...certs]);
      assert.match(verified.out, /Verification: OK/, `${hash} ${extra.join(' ')}: ${verified.out}`);
      assert.match(openssl(['ts', '-verify', '-in', file('r.tsr'), '-data', data, '-CAfile', h.files.root, ...certs]).out, /Verification: OK/);
      const info = parseTimeStampToken(readFileSync(file('r.tsr')));
      // certReq honoured both ways: the TSA certificate is in the token exactly when asked for.
      assert.equal(info.signer?.certificate !== undefined, extra.includes('-cert'), `${hash}: certificate in token`);
      assert.equal(info.nonce !== undefined, !extra.includes('-no_nonce'), `${hash}: nonce`);
      assert.equal(info.policy, oid.policyQoltanbaTsa);
      assert.equal(info.accuracyMs, 1000);
      serials.push(info.serialNumber);
    }
    // /tsp/rsa is the same TSA as /tsp.
    execFileSync('openssl', ['ts', '-query', '-data', data, '-sha256', '-cert', '-out', file('q.tsq')]);
    assert.equal((await curlPost(`${h.url}/tsp/rsa`, file('q.tsq'), file('r.tsr'))).status, 200);
    assert.match(openssl(['ts', '-verify', '-in', file('r.tsr'), '-queryfile', file('q.tsq'), '-CAfile', h.files.root]).out, /Verification: OK/);
    serials.push(parseTimeStampToken(readFileSync(file('r.tsr'))).serialNumber);
  });

  test('the GOST TSA stamps a Streebog-512 imprint; our verifier and the relying-party check (chain and CRLs as of genTime) accept the token', async () => {
    const document = utf8('ГОСТ бойынша қол қойылған құжат');
    const { status, der } = await post(`${h.url}/tsp/gost`, testRequest({ hashAlgorithm: oid.kzStreebog512, hashedMessage: streebog512(document), nonce: Uint8Array.of(0x11, 0x22), certReq: true }));
    assert.equal(status, 200);
    const info = parseTimeStampToken(der);
    assert.equal(info.nonce, '1122');
    assert.equal(toHex(info.messageImprint.hashedMessage), toHex(streebog512(document)));
    const verified = await verifyCms(info.token);
    const signer = verified.signers[0]!;
    assert.equal(signer.signatureAlgorithm.oid, oid.kzGost2015_512Sign);
    assert.equal(signer.signingCertificateV2Matches, true);
    // The relying party's check (the client side of packages/pki/src/tsp): imprint over the document, nonce,
    // policy, the TSA certificate's role, and its chain as of genTime with the CAs' own CRLs, fail-closed.
    const crl = async (name: string) => new Uint8Array(await (await fetch(`${h.url}/crl/${name}.crl`)).arrayBuffer());
    const verdict = await checkTimeStampToken(info.token, {
      data: document,
      nonce: Uint8Array.of(0x11, 0x22),
      policies: [oid.policyQoltanbaTsa],
      trustAnchors: [derFrom(readFileSync(h.files.root, 'utf8'))],
      intermediates: [derFrom(readFileSync(h.files.gost, 'utf8'))],
      revocation: { crls: [await crl('gost'), await crl('root-rsa')], mode: 'require' },
    });
    assert.equal(verdict.ok, true, verdict.error?.message);
    assert.deepEqual(verdict.chain.map((c) => c.revocation.status), ['good', 'good', 'unchecked']);
    const other = await checkTimeStampToken(info.token, { data: utf8('another document'), trustAnchors: [derFrom(readFileSync(h.files.root, 'utf8'))] });
    assert.equal(other.error?.code, 'QT_ERR_TSP_IMPRINT_MISMATCH');
    serials.push(info.serialNumber);
  });

  test('the requested policy is honoured when accepted; any other is refused with unacceptedPolicy', async () => {
    const nca = await post(`${h.url}/tsp`, testRequest({ policy: oid.policyNcaTsa, certReq: true }));
    assert.equal(parseTimeStampToken(nca.der).policy, oid.policyNcaTsa);
    serials.push(parseTimeStampToken(nca.der).serialNumber);
    const other = await post(`${h.url}/tsp`, testRequest({ policy: '1.2.3.4.5' }));
    assert.equal(other.status, 200);
    writeFileSync(file('refused.tsr'), other.der);
    const text = openssl(['ts', '-reply', '-in', file('refused.tsr'), '-text']).out;
    assert.match(text, /Status: Rejected/);
    assert.match(text, /Failure info: the requested TSA policy is not supported by the TSA/);
  });

  test('serial numbers are unique: concurrent stamps, two TSAs, and another TSA process on the same database', async () => {
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => post(`${h.url}/tsp${i % 2 ? '/gost' : ''}`, testRequest({ certReq: true }))));
    for (const r of replies) serials.push(parseTimeStampToken(r.der).serialNumber);
    // Another TSA process on the same database: the same TSAs, its own serial prefix.
    const second = await createTsaService(h.ctx, resolveTsaOptions({}));
    try {
      for (let i = 0; i < 5; i++) serials.push(parseTimeStampToken((await second.answer(testRequest({ certReq: true }))).der).serialNumber);
    } finally {
      await second.stop();
    }
    assert.equal(new Set(serials).size, serials.length, 'no serial twice');
  });

  test('stamps are counted and sampled in one audit entry per period, not written one row each', async () => {
    const before = await db.store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const made: string[] = [];
    for (let i = 0; i < 12; i++) made.push(parseTimeStampToken((await post(`${h.url}/tsp`, testRequest({ certReq: true }))).der).serialNumber);
    await post(`${h.url}/tsp`, testRequest({ version: 2 }));
    const afterStamps = await db.store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    assert.equal(afterStamps.n, before.n, 'no audit row per stamp');
    await h.service.tally.flush();
    const rows = await db.store.db.selectFrom('audit_log').select(['actor', 'target', 'details']).where('action', '=', 'tsa.stamps').orderBy('seq', 'desc').execute();
    const entry = rows[0]!.details as { granted: number; byTsa: Record<string, { granted: number; firstSerial: string; lastSerial: string }>; refused: Record<string, number>; samples: { serial: string; hashAlgorithm: string; imprint: string }[]; serialPrefix: string };
    assert.equal(rows[0]!.actor, 'system:tsa');
    assert.equal(rows[0]!.target, `tsa-serials:${entry.serialPrefix}`);
    // Everything since the previous flush of this process, which is everything these tests stamped in it.
    const mine = made.map((s) => s.toUpperCase());
    assert.equal(entry.byTsa.rsa!.lastSerial, mine[mine.length - 1]);
    assert.ok(entry.granted >= 12 && entry.byTsa.rsa!.granted >= 12);
    assert.equal(entry.refused.QT_ERR_TSP_REQUEST_VERSION, 1);
    assert.ok(entry.refused.QT_ERR_TSP_POLICY_UNACCEPTED! >= 1);
    assert.equal(entry.samples.length, 8);
    const issued = new Set(serials.map((s) => s.toUpperCase()).concat(mine));
    for (const sample of entry.samples) {
      assert.ok(issued.has(sample.serial), `sampled serial ${sample.serial} was issued`);
      assert.match(sample.imprint, /^[0-9a-f]+$/);
    }
    // A period without stamps writes nothing; the chain is intact.
    await h.service.tally.flush();
    assert.equal((await db.store.db.selectFrom('audit_log').select('seq').where('action', '=', 'tsa.stamps').execute()).length, rows.length);
    assert.equal((await verifyAudit(db.store.db)).ok, true);
  });
});
