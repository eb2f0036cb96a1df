import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { isQtError, parseCrl, verifyCrl } from '@qoltanba/pki';
import { describeEachBackend } from '../../store/testing/backends.ts';
import { createTestPki, insertRevokedBulk, setCertificateStatus, type TestCertificate, type TestPki } from '../testing/pki.ts';
import { openssl, tempDir, type TempDir } from '../testing/openssl.ts';
import { startStatusServer, type StatusHarness } from '../testing/server.ts';

describeEachBackend('CRL generation, judged by openssl crl and openssl verify', (ctx) => {
  let pki: TestPki;
  let server: StatusHarness;
  let tmp: TempDir;
  const leaves: Record<string, TestCertificate> = {};
  let crlUrl: string;
  let deltaUrl: string;

  test('the status service starts on a test PKI with good, revoked and held certificates', async () => {
    pki = await createTestPki(ctx.store);
    server = await startStatusServer(ctx.store, pki);
    tmp = tempDir();
    tmp.file('ca.pem', pki.ca.pem);
    tmp.file('chain.pem', pki.root.pem + pki.ca.pem);
    for (const name of ['good', 'revoked', 'held', 'later', 'released']) {
      leaves[name] = await pki.issueLeaf();
      tmp.file(`${name}.pem`, leaves[name].pem);
    }
    await setCertificateStatus(ctx.store, pki.ca.id, leaves.revoked!.serial, { status: 'revoked', reason: 1, at: new Date('2025-02-01T10:00:00Z'), invalidityDate: new Date('2025-01-20T00:00:00Z') });
    await setCertificateStatus(ctx.store, pki.ca.id, leaves.held!.serial, { status: 'on_hold', reason: 6, at: new Date('2025-02-02T10:00:00Z') });
    await setCertificateStatus(ctx.store, pki.ca.id, leaves.released!.serial, { status: 'on_hold', reason: 6, at: new Date('2025-02-03T10:00:00Z') });
    // Relying parties discover the URLs from the CA list.
    const list = (await (await fetch(`${server.url}/api/v1/ca`)).json()) as { cas: { name: string; crlUrl: string; deltaCrlUrl: string }[] };
    const mine = list.cas.find((c) => c.name === pki.ca.name)!;
    ({ crlUrl, deltaUrl } = { crlUrl: mine.crlUrl, deltaUrl: mine.deltaCrlUrl });
  });
  after(async () => {
    await server?.close();
    await pki?.close();
    tmp?.remove();
  });

  const download = async (url: string, file: string) => {
    const res = await fetch(url);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('content-type'), 'application/pkix-crl');
    const der = new Uint8Array(await res.arrayBuffer());
    tmp.file(file, der);
    const pem = await openssl(['crl', '-inform', 'DER', '-in', tmp.path(file), '-outform', 'PEM', '-out', tmp.path(`${file}.pem`)]);
    assert.equal(pem.status, 0, pem.output);
    return der;
  };
  const crlText = async (file: string) => {
    const r = await openssl(['crl', '-inform', 'DER', '-in', tmp.path(file), '-CAfile', tmp.path('ca.pem'), '-noout', '-text']);
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /verify OK/);
    return r.output;
  };
  const entryOf = (text: string, serial: string) => {
    const at = text.search(new RegExp(`Serial Number: 0*${serial.toUpperCase()}\\n`));
    assert.ok(at >= 0, `serial ${serial} is not in the CRL`);
    return text.slice(at, text.indexOf('Serial Number', at + 10) >>> 0);
  };
  const verifyLeaf = (leaf: string, crls: string[], more: string[] = []) =>
    openssl(['verify', '-crl_check', ...more, '-CAfile', tmp.path('chain.pem'), ...crls.flatMap((c) => ['-CRLfile', tmp.path(c)]), tmp.path(leaf)]);

  test('a full CRL lists the revoked and held certificates with reasons and dates, and openssl crl -verify accepts it', async () => {
    const made = await server.service.generateCrl(pki.ca.id, 'full');
    assert.equal(made?.kind, 'full');
    assert.equal(made?.crlNumber, 1n);
    assert.equal(made?.entries, 3);
    await download(crlUrl, 'full1.der');
    const text = await crlText('full1.der');
    assert.match(text, /X509v3 CRL Number: \n\s+1\n/);
    assert.doesNotMatch(text, new RegExp(leaves.good!.serial, 'i'));
    const revoked = entryOf(text, leaves.revoked!.serial);
    assert.match(revoked, /Revocation Date: Feb  1 10:00:00 2025 GMT/);
    assert.match(revoked, /Key Compromise/);
    assert.match(revoked, /Invalidity Date: \n\s+Jan 20 00:00:00 2025 GMT/);
    assert.match(entryOf(text, leaves.held!.serial), /Certificate Hold/);
  });

  test('a delta names its base and lists changes since it: a new revocation, and a released hold as removeFromCRL', async () => {
    await setCertificateStatus(ctx.store, pki.ca.id, leaves.later!.serial, { status: 'revoked', reason: 4, at: new Date('2025-03-01T09:30:00Z') });
    await setCertificateStatus(ctx.store, pki.ca.id, leaves.released!.serial, { status: 'good' });
    // A later second than the full CRL's, as in real life (OpenSSL's choice between them depends on it).
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const made = await server.service.generateCrl(pki.ca.id, 'delta');
    assert.deepEqual([made?.kind, made?.crlNumber, made?.baseCrlNumber, made?.entries], ['delta', 2n, 1n, 2]);
    await download(deltaUrl, 'delta2.der');
    const text = await crlText('delta2.der');
    assert.match(text, /X509v3 Delta CRL Indicator: critical\n\s+1\n/);
    assert.match(text, /X509v3 CRL Number: \n\s+2\n/);
    assert.match(entryOf(text, leaves.later!.serial), /Superseded/);
    assert.match(entryOf(text, leaves.released!.serial), /Remove From CRL/);
    // Unchanged since the base: not repeated.
    assert.doesNotMatch(text, new RegExp(`Serial Number: 0*${leaves.revoked!.serial}`, 'i'));
  });

  test('openssl verify -crl_check (with delta CRLs) agrees with OCSP for each certificate', async () => {
    const expectations: [string, 'good' | 'revoked'][] = [
      ['good', 'good'],
      ['revoked', 'revoked'],
      ['held', 'revoked'],
      ['later', 'revoked'],
      ['released', 'good'],
    ];
    for (const [name, expected] of expectations) {
      // -extended_crl too: without it OpenSSL may take a newer delta CRL for a complete one (x509_vfy.c get_crl_score).
      const crl = await verifyLeaf(`${name}.pem`, ['full1.der.pem', 'delta2.der.pem'], ['-use_deltas', '-extended_crl']);
      const ocsp = await openssl(['ocsp', '-issuer', tmp.path('ca.pem'), '-cert', tmp.path(`${name}.pem`), '-url', `${server.url}/ocsp`, '-CAfile', tmp.path('chain.pem')]);
      assert.match(ocsp.output, new RegExp(`${name}\\.pem: ${expected}`), ocsp.output);
      if (expected === 'good') assert.equal(crl.status, 0, `${name}: ${crl.output}`);
      else assert.match(crl.output, /certificate revoked/, `${name}: ${crl.output}`);
    }
    // Without the delta, the full CRL alone still shows the hold and misses the newer revocation, as it should.
    assert.match((await verifyLeaf('released.pem', ['full1.der.pem'])).output, /certificate revoked/);
    assert.equal((await verifyLeaf('later.pem', ['full1.der.pem'])).status, 0);
  });

  test('numbers increase strictly across full and delta CRLs; a new full CRL becomes the base of later deltas', async () => {
    const kinds = ['delta', 'full', 'delta', 'delta', 'full'] as const;
    const made = [];
    for (const kind of kinds) made.push(await server.service.generateCrl(pki.ca.id, kind));
    assert.deepEqual(made.map((m) => m?.crlNumber), [3n, 4n, 5n, 6n, 7n]);
    assert.deepEqual(made.map((m) => m?.baseCrlNumber), [1n, undefined, 4n, 4n, undefined]);
    const rows = await ctx.store.db.selectFrom('crls').select(['crl_number', 'kind']).where('ca_id', '=', pki.ca.id).orderBy('crl_number').execute();
    assert.deepEqual(rows.map((r) => Number(r.crl_number)), [1, 2, 3, 4, 5, 6, 7]);
    // Deltas after the full CRL #4 list nothing: that full CRL already has every change.
    assert.equal(made[2]?.entries, 0);
    const state = await ctx.store.db.selectFrom('crl_state').selectAll().where('ca_id', '=', pki.ca.id).executeTakeFirstOrThrow();
    assert.deepEqual([state.next_crl_number, state.last_full_number, state.delta_base_number, state.last_delta_number], ['8', '7', '7', '6']);
  });

  test('each publication is in the audit log with its number, kind and hash', async () => {
    const rows = await ctx.store.db.selectFrom('audit_log').selectAll().where('action', '=', 'crl.published').orderBy('seq').execute();
    assert.deepEqual(rows.map((r) => (r.details as { crlNumber: string }).crlNumber), ['1', '2', '3', '4', '5', '6', '7']);
    assert.equal(rows[1]?.target, `ca:${pki.ca.name}`);
    assert.equal((rows[1]?.details as { kind: string }).kind, 'delta');
    assert.match(String((rows[0]?.details as { sha256: string }).sha256), /^[0-9a-f]{64}$/);
  });

  test('schedulers on two nodes racing for the same due CRL produce one', async () => {
    // Two minutes on, CRLs made before a minute ago are due; the first of the two makes one, which is not.
    server.clock.offset(120_000);
    try {
      const due = new Date(server.clock.now().getTime() - 60_000);
      const [a, b] = await Promise.all([
        server.service.generateCrl(pki.ca.id, 'delta', { ifOlderThan: due }),
        server.service.generateCrl(pki.ca.id, 'delta', { ifOlderThan: due }),
      ]);
      assert.equal([a, b].filter(Boolean).length, 1);
    } finally {
      server.clock.offset(0);
    }
    assert.equal(await server.service.generateCrl(pki.ca.id, 'full', { ifOlderThan: new Date(0) }), undefined);
  });

  test('a CA whose key is offline (the root) gets no CRL from here', async () => {
    const root = (await server.service.directory.all()).find((c) => c.kind === 'root')!;
    await assert.rejects(server.service.generateCrl(root.id, 'full'), (e) => isQtError(e, 'QT_ERR_CA_KEY_OFFLINE'));
  });

  test('tens of thousands of entries stream through the cursor in batches into a CRL both openssl and we verify', async () => {
    await insertRevokedBulk(ctx.store, pki.ca.id, 25_000);
    const progress: number[] = [];
    const made = await server.service.generateCrl(pki.ca.id, 'full', { onProgress: (n) => void progress.push(n) });
    assert.equal(made?.entries, 25_000 + 3);
    assert.deepEqual(progress, [10_000, 20_000, 25_003]);
    const der = await download(crlUrl, 'big.der');
    const parsed = await verifyCrl(der, pki.ca.der);
    assert.equal(parsed.entryCount, 25_003);
    assert.ok(parsed.findRevocation(leaves.revoked!.serial));
    assert.equal(parseCrl(der).crlNumber, made?.crlNumber);
    await crlText('big.der');
  });
});
