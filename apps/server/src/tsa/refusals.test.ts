/**
 * What the TSA does with what it must not stamp: each kind of bad input gets its own PKIStatus/failInfo
 * (read back by openssl), never a 5xx; a flood beyond the signatures it may have in progress is refused at
 * once while the held ones complete; a clock that drifted from the database server's refuses with
 * timeNotAvailable. The service stays up and nothing is half-stored: the only record is the tally.
 * No timing: the flood is made with the signer delayed (a gate), the drift by moving the TSA's clock.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatBytes, oid, parseTimeStampToken, utf8 } from '@qoltanba/pki';
import { testRequest } from '@qoltanba/pki/testing';
import { verifyAudit } from '../audit/index.ts';
import { describeEachBackend } from '../store/testing/backends.ts';
import { ClockGuard } from './clock.ts';
import { startTsaHarness, type TsaHarness } from './testing/harness.ts';

const scratch = mkdtempSync(join(tmpdir(), 'qt-tsa-refusals-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** openssl's reading of a reply: status and failure info lines. */
function opensslReads(der: Uint8Array): { status: string; failure: string; text: string } {
  const path = join(scratch, 'reply.tsr');
  writeFileSync(path, der);
  const r = spawnSync('openssl', ['ts', '-reply', '-in', path, '-text'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `openssl cannot read the reply: ${r.stderr}`);
  return { status: r.stdout.match(/Status: (.*)/)?.[1] ?? '', failure: r.stdout.match(/Failure info: (.*)/)?.[1] ?? '', text: r.stdout };
}

async function post(url: string, body: Uint8Array | string, headers: Record<string, string> = { 'content-type': 'application/timestamp-query' }) {
  const res = await fetch(url, { method: 'POST', headers, body: body as BodyInit });
  return { status: res.status, type: res.headers.get('content-type'), retryAfter: res.headers.get('retry-after'), der: new Uint8Array(await res.arrayBuffer()) };
}

describeEachBackend('time-stamping authority: refusals, flood and clock', (db) => {
  let h: TsaHarness;
  test('the harness: TSAs with a small limit of signatures in progress and SHA-1 not accepted', async () => {
    h = await startTsaHarness(db.store, { tsa: { maxInFlight: 4, requestBytes: 1024, hashAlgorithms: ['SHA-256', 'SHA-512', 'Streebog-512'] } });
  });
  after(() => h?.close());

  test('each kind of bad input gets its own PKIStatus and failure info, never a 5xx, and the service stays up', async () => {
    const good = testRequest();
    const cases: { label: string; body: Uint8Array | string; path?: string; headers?: Record<string, string>; http: number; failure: string; code: string }[] = [
      { label: 'garbage', body: utf8('<?xml version="1.0"?><hello/>'), http: 200, failure: 'the data submitted has the wrong format', code: 'QT_ERR_TSP_REQUEST_MALFORMED' },
      { label: 'empty', body: new Uint8Array(0), http: 200, failure: 'the data submitted has the wrong format', code: 'QT_ERR_TSP_REQUEST_MALFORMED' },
      { label: 'truncated', body: good.subarray(0, good.length - 5), http: 200, failure: 'the data submitted has the wrong format', code: 'QT_ERR_TSP_REQUEST_MALFORMED' },
      { label: 'oversize', body: concatBytes(good, new Uint8Array(4096)), http: 413, failure: 'the data submitted has the wrong format', code: 'QT_ERR_TOO_LARGE' },
      { label: 'wrong version', body: testRequest({ version: 3 }), http: 200, failure: 'transaction not permitted or supported', code: 'QT_ERR_TSP_REQUEST_VERSION' },
      { label: 'unknown hash (MD5)', body: testRequest({ hashAlgorithm: '1.2.840.113549.2.5', hashedMessage: new Uint8Array(16) }), http: 200, failure: 'unrecognized or unsupported algorithm identifier', code: 'QT_ERR_TSP_HASH_UNSUPPORTED' },
      { label: 'SHA-1 when not configured', body: testRequest({ hashAlgorithm: oid.sha1, hashedMessage: new Uint8Array(20) }), http: 200, failure: 'unrecognized or unsupported algorithm identifier', code: 'QT_ERR_TSP_HASH_UNSUPPORTED' },
      { label: 'unaccepted policy', body: testRequest({ policy: oid.policyNcaTsa }), http: 200, failure: 'the requested TSA policy is not supported by the TSA', code: 'QT_ERR_TSP_POLICY_UNACCEPTED' },
      { label: 'an extension', body: testRequest({ extensions: ['1.3.6.1.4.1.311.3.3.1'] }), http: 200, failure: 'the requested extension is not supported by the TSA', code: 'QT_ERR_TSP_EXTENSION_UNACCEPTED' },
      { label: 'a form post', body: 'a=1&b=2', headers: { 'content-type': 'application/x-www-form-urlencoded' }, http: 200, failure: 'the data submitted has the wrong format', code: 'QT_ERR_TSP_REQUEST_MALFORMED' },
      { label: 'a TSA that does not exist', body: good, path: '/tsp/nope', http: 404, failure: 'the request cannot be handled due to system failure', code: 'QT_ERR_NOT_FOUND' },
    ];
    for (const c of cases) {
      const res = await post(`${h.url}${c.path ?? '/tsp'}`, c.body, c.headers);
      assert.equal(res.status, c.http, c.label);
      assert.equal(res.type, 'application/timestamp-reply', c.label);
      const read = opensslReads(res.der);
      assert.equal(read.status, 'Rejected.', c.label);
      assert.equal(read.failure, c.failure, c.label);
      assert.match(read.text, new RegExp(`Status description: ${c.code}: `), c.label);
    }
    // Still up, and stamping.
    const after = await post(`${h.url}/tsp`, testRequest({ certReq: true }));
    assert.equal(after.status, 200);
    assert.equal(opensslReads(after.der).status, 'Granted.');
  });

  test('a flood beyond the signatures in progress is refused at once (429, systemFailure) while the held ones complete', async () => {
    h.gate.hold();
    const held = Array.from({ length: 4 }, () => post(`${h.url}/tsp`, testRequest({ certReq: true })));
    await h.gate.waiting(4);
    // The signer is stuck; 60 more requests are answered without waiting for it.
    const flood = await Promise.all(Array.from({ length: 60 }, () => post(`${h.url}/tsp`, testRequest())));
    for (const r of flood) {
      assert.equal(r.status, 429);
      assert.equal(r.retryAfter, '1');
      assert.equal(opensslReads(r.der).failure, 'the request cannot be handled due to system failure');
    }
    // Bad input is still judged cheaply while busy: it is refused as busy too, before any parsing.
    assert.equal((await post(`${h.url}/tsp`, utf8('garbage'))).status, 429);
    h.gate.release();
    const granted = await Promise.all(held);
    const serials = granted.map((r) => parseTimeStampToken(r.der).serialNumber);
    assert.equal(new Set(serials).size, 4);
    // Capacity is back.
    assert.equal((await post(`${h.url}/tsp`, testRequest())).status, 200);
  });

  test('a clock more than maxClockDriftMs from the database server’s refuses with timeNotAvailable; in step again, it stamps', async () => {
    h.skew(5_000);
    const reading = await h.service.clock.check();
    assert.equal(reading.trusted, false);
    assert.ok(reading.offsetMs < -4_000, `the reference is about 5 s behind us (${reading.offsetMs} ms)`);
    const refused = await post(`${h.url}/tsp`, testRequest());
    assert.equal(refused.status, 200);
    assert.equal(opensslReads(refused.der).failure, "the TSA's time source is not available");
    h.skew(-5_000);
    assert.equal((await h.service.clock.check()).trusted, false);
    assert.equal(opensslReads((await post(`${h.url}/tsp`, testRequest())).der).failure, "the TSA's time source is not available");
    h.skew(0);
    assert.equal((await h.service.clock.check()).trusted, true);
    assert.equal(opensslReads((await post(`${h.url}/tsp`, testRequest())).der).status, 'Granted.');
  });

  test('the clock is distrusted once its last comparison is older than three check periods (as when the database cannot be reached)', async () => {
    let monotonic = 0;
    const guard = new ClockGuard(db.store.db, { maxDriftMs: 1000, checkEveryMs: 10_000, now: () => new Date(), monotonic: () => monotonic });
    assert.match(guard.distrust() ?? '', /not been compared/);
    assert.equal((await guard.check()).trusted, true);
    monotonic += 29_000;
    assert.equal(guard.distrust(), undefined);
    monotonic += 2_000;
    assert.match(guard.distrust() ?? '', /last compared with the reference 31 s ago/);
    assert.equal((await guard.check()).trusted, true);
    assert.equal(guard.distrust(), undefined);
  });

  test('nothing is half-stored: the tally records every outcome, the audit chain verifies, and no other table changed', async () => {
    const tables = ['certificates', 'cas', 'tsa_signers', 'ocsp_signers', 'crls'] as const;
    const count = async () => Promise.all(tables.map(async (t) => Number((await db.store.db.selectFrom(t).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n)));
    const before = await count();
    await h.service.tally.flush();
    const entry = (await db.store.db.selectFrom('audit_log').select('details').where('action', '=', 'tsa.stamps').orderBy('seq', 'desc').executeTakeFirstOrThrow()).details as {
      granted: number;
      refused: Record<string, number>;
    };
    assert.deepEqual(entry.refused, {
      QT_ERR_TSP_REQUEST_MALFORMED: 4,
      QT_ERR_TOO_LARGE: 1,
      QT_ERR_TSP_REQUEST_VERSION: 1,
      QT_ERR_TSP_HASH_UNSUPPORTED: 2,
      QT_ERR_TSP_POLICY_UNACCEPTED: 1,
      QT_ERR_TSP_EXTENSION_UNACCEPTED: 1,
      QT_ERR_NOT_FOUND: 1,
      QT_ERR_TSA_BUSY: 61,
      QT_ERR_TSA_CLOCK_UNTRUSTED: 2,
    });
    // The harness's first stamp per TSA key is its self-check, never given out, never counted.
    assert.equal(entry.granted, 1 + 4 + 1 + 1);
    assert.deepEqual(await count(), before);
    assert.equal((await verifyAudit(db.store.db)).ok, true);
  });
});
