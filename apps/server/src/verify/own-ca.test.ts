import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeEachBackend } from '../store/testing/backends.ts';
import { startVerifyHarness, type IssuedPerson, type VerifyHarness } from './testing/harness.ts';

let dir: string;
before(() => void (dir = mkdtempSync(join(tmpdir(), 'qt-verify-own-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A CMS made by openssl (the outside world's tool) with the person's key: attached, base64 DER. */
function opensslCms(person: IssuedPerson, content: string, name = person.serial): string {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  const doc = join(dir, `${name}.txt`);
  writeFileSync(key, person.keyPem);
  writeFileSync(cert, person.certificatePem);
  writeFileSync(doc, content);
  return execFileSync('openssl', ['cms', '-sign', '-binary', '-nodetach', '-md', 'sha256', '-in', doc, '-signer', cert, '-inkey', key, '-outform', 'DER']).toString('base64');
}

async function post(h: VerifyHarness, url: string, body: object) {
  const r = await h.app.inject({ method: 'POST', url, payload: body });
  return { status: r.statusCode, body: r.json() };
}

const CRL_LIMIT = 2 * 1024 * 1024;

describeEachBackend('verification service against our own CA (OCSP and CRLs served over HTTP)', (ctx) => {
  let h: VerifyHarness;
  let person: IssuedPerson;
  after(async () => h?.close());

  test('the harness starts our CA behind its public address', async () => {
    h = await startVerifyHarness(ctx.store, { verify: { trust: { presets: ['local'] }, fetch: { failureCacheSeconds: 0, maxCrlBytes: CRL_LIMIT } } });
    person = await h.issuePerson();
  });

  test('a certificate we issued is valid: good by OCSP fetched from its AIA, its CA good by the root CRL', async () => {
    const r = await post(h, '/api/v1/verify', { certificate: person.certificatePem });
    assert.equal(r.status, 200);
    assert.equal(r.body.valid, true, JSON.stringify(r.body.error));
    const [leaf, issuing, root] = r.body.signers[0].chain;
    assert.deepEqual([leaf.revocation.status, leaf.revocation.source], ['good', 'ocsp']);
    assert.deepEqual([issuing.revocation.status, issuing.revocation.source], ['good', 'crl']);
    assert.equal(root.trustAnchor, true);
    assert.equal(r.body.signers[0].certificate.iin, person.iin);
    assert.ok((h.front.hits.get('/ocsp') ?? 0) >= 1);
    assert.ok((h.front.hits.get(`/crl/root-rsa.crl`) ?? 0) >= 1);
  });

  test('a CMS signed by openssl with that key: valid through /api/v1/verify and NCANode /cms/verify alike; the OCSP answer is reused from the cache', async () => {
    const cms = opensslCms(person, 'Шарт № 1');
    const before = h.front.hits.get('/ocsp') ?? 0;
    const ours = await post(h, '/api/v1/verify', { cms });
    const theirs = await post(h, '/cms/verify', { cms, revocationCheck: ['OCSP', 'CRL'] });
    assert.equal(ours.body.valid, true, JSON.stringify(ours.body.error));
    assert.equal(theirs.status, 200);
    assert.equal(theirs.body.valid, true, theirs.body.message);
    assert.equal(theirs.body.signers[0].certificates[0].subject.iin, person.iin);
    assert.deepEqual(theirs.body.signers[0].certificates[0].revocations, [{ revoked: false, by: 'OCSP', revocationTime: null, reason: null }]);
    assert.equal(theirs.body.signers[0].status, 'VALID');
    assert.equal(h.front.hits.get('/ocsp') ?? 0, before, 'answered from the cache, not fetched again');
  });

  test('a revoked certificate is not valid, with the reason and the time from OCSP', async () => {
    const victim = await h.issuePerson();
    await h.revoke(victim.serial, 'keyCompromise');
    const r = await post(h, '/api/v1/verify', { cms: opensslCms(victim, 'Шарт № 2') });
    assert.equal(r.body.valid, false);
    assert.equal(r.body.error.code, 'QT_ERR_CERT_REVOKED');
    const leaf = r.body.signers[0].chain[0].revocation;
    assert.deepEqual([leaf.status, leaf.source, leaf.reason], ['revoked', 'ocsp', 'keyCompromise']);
    const nca = await post(h, '/cms/verify', { cms: opensslCms(victim, 'Шарт № 2', 'again') });
    assert.equal(nca.body.valid, false);
    assert.deepEqual([nca.body.signers[0].status, nca.body.signers[0].subIndication], ['INVALID', 'CERT_REVOKED']);
    assert.equal(nca.body.signers[0].certificates[0].revocations[0].revoked, true);
  });

  test("the CA's OCSP down: the verdict falls back to the CRL; with OCSP only it is not valid and says the responder is down (fail-closed)", async () => {
    const fresh = await h.issuePerson();
    h.front.fail('/ocsp', { kind: 'reset' });
    try {
      const crlOnly = await post(h, '/api/v1/verify', { certificate: fresh.certificatePem });
      assert.equal(crlOnly.body.valid, true, JSON.stringify(crlOnly.body.error));
      assert.deepEqual(crlOnly.body.signers[0].chain[0].revocation, { status: 'good', source: 'crl' });

      const ocspOnly = await post(h, '/api/v1/verify', { certificate: fresh.certificatePem, revocationKinds: ['ocsp'] });
      assert.equal(ocspOnly.status, 200);
      assert.equal(ocspOnly.body.valid, false);
      assert.equal(ocspOnly.body.error.code, 'QT_ERR_REVOCATION_UNKNOWN');
      assert.match(ocspOnly.body.error.message, new RegExp(`OCSP ${h.url}/ocsp: .*connection was reset`));
      assert.equal(ocspOnly.body.signers[0].chain[0].revocation.status, 'unchecked');
      assert.match(ocspOnly.body.signers[0].chain[0].revocation.detail, /connection was reset/);

      const nca = await post(h, '/x509/info', { certs: [fresh.certificatePem.replace(/-----[^-]+-----|\s/g, '')], revocationCheck: ['OCSP'] });
      assert.equal(nca.body.valid, false);
      assert.equal(nca.body.signers[0].valid, false);
      assert.deepEqual(nca.body.signers[0].revocations, [], 'no revocation answer is never reported as "not revoked"');
      assert.match(nca.body.message, /revocation status .* is unknown/);
    } finally {
      h.front.heal();
    }
  });

  test('OCSP and CRLs all down: not valid, never "not revoked"; the same certificate is valid again once they are back', async () => {
    const fresh = await h.issuePerson();
    // A CRL fetched by an earlier test would still be current (and rightly used): start from nothing cached.
    h.service.fetcher.forget();
    h.front.fail('/ocsp', { kind: 'status', status: 503 });
    h.front.fail('/crl/', { kind: 'reset' });
    const down = await post(h, '/api/v1/verify', { certificate: fresh.certificatePem });
    h.front.heal();
    assert.equal(down.body.valid, false);
    assert.equal(down.body.error.code, 'QT_ERR_REVOCATION_UNKNOWN');
    // Top-down: the issuing CA's status (the root's CRL) is missing first.
    assert.match(down.body.error.message, new RegExp(`ISSUING CA .* is unknown: .*CRL ${h.url}/crl/root-rsa.crl: the connection was reset`));
    const prefer = await post(h, '/api/v1/verify', { certificate: fresh.certificatePem, revocation: 'prefer', revocationKinds: ['crl'] });
    assert.equal(prefer.body.valid, true, 'prefer is the client asking for less, for itself');
    const back = await post(h, '/api/v1/verify', { certificate: fresh.certificatePem });
    assert.equal(back.body.valid, true, JSON.stringify(back.body.error));
  });

  test('a CRL larger than the fetch limit is cut off while it streams (refused at once when it declares its size): not valid, the limit named', async () => {
    const limit = CRL_LIMIT;
    const person = await h.issuePerson();
    h.service.fetcher.forget();
    h.front.fail('/crl/rsa.crl', { kind: 'endless' });
    const started = Date.now();
    const streamed = await post(h, '/api/v1/verify', { certificate: person.certificatePem, revocationKinds: ['crl'] });
    assert.equal(streamed.status, 200);
    assert.equal(streamed.body.valid, false);
    assert.equal(streamed.body.error.code, 'QT_ERR_REVOCATION_UNKNOWN');
    assert.match(streamed.body.error.message, new RegExp(`CRL ${h.url}/crl/rsa.crl: larger than the ${limit} bytes allowed`));
    assert.ok(Date.now() - started < 10_000);

    h.front.fail('/crl/rsa.crl', { kind: 'declared', bytes: 1 << 30 });
    const declared = await post(h, '/cms/verify', { cms: 'MA==', revocationCheck: ['CRL'] });
    assert.equal(declared.status, 400, 'garbage CMS is a 400 in NCANode shape');
    assert.equal(declared.body.code, 'QT_ERR_CMS_MALFORMED');
    const info = await post(h, '/x509/info', { certs: [person.certificatePem.replace(/-----[^-]+-----|\s/g, '')], revocationCheck: ['CRL'] });
    assert.equal(info.body.valid, false);
    assert.match(info.body.message, /rsa\.crl: larger than the 2097152 bytes allowed/);
    h.front.heal();
  });
});
