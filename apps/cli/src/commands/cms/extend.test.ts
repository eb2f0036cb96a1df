/**
 * `qoltanba cms extend` end to end: stamps from an outside TSA (openssl ts -reply over HTTP), CRLs fetched from
 * the certificates' own distribution points on a local "CA", then the CA switched off and the signature verified
 * years later by `qoltanba verify` with only what it carries. OpenSSL checks the output is still a valid CMS.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { addCmsSigner, signCms, toCmsPem, utf8 } from '@qoltanba/pki';
import { timeScenario, type TimeScenario } from '@qoltanba/pki/testing';
import { runQoltanba } from '../../testing/run.ts';

let s: TimeScenario;
let dir: string;
const document = utf8('Келісім / Соглашение / Agreement\n');
const file = (name: string) => join(dir, name);

before(async () => {
  s = await timeScenario({ publish: true });
  dir = mkdtempSync(join(tmpdir(), 'qt-cms-extend-'));
  writeFileSync(file('root.pem'), s.root.pem);
  const one = await signCms({ content: document, signer: s.alice.signer, certificate: s.alice.der, chain: [s.ca.der] });
  writeFileSync(file('two.p7s'), await addCmsSigner(one, { signer: s.bob.signer, certificate: s.bob.der }));
});
after(async () => {
  await s?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('T, then LT (CRLs fetched from the certificates), then LTA; with the CA switched off the signature verifies in 2031 from what it carries', async () => {
  const t = await runQoltanba(['--json', 'cms', 'extend', file('two.p7s'), '--level', 'T', '--tsa-url', s.tsa.url]);
  assert.equal(t.code, 0, t.stdout + t.stderr);
  const tOut = JSON.parse(t.stdout);
  assert.equal(tOut.out, file('two.t.p7s'));
  assert.deepEqual(tOut.stamps.map((x: { signer: number; kind: string }) => [x.signer, x.kind]), [[1, 'signature'], [2, 'signature']]);

  const lt = await runQoltanba(['--json', 'cms', 'extend', file('two.t.p7s'), '--level', 'LT', '--tsa-url', s.tsa.url, '--ca', file('root.pem'), '--out', file('two.lt.p7s')]);
  assert.equal(lt.code, 0, lt.stdout + lt.stderr);
  const ltOut = JSON.parse(lt.stdout);
  assert.deepEqual(ltOut.stamps, [], 'both signers already had a stamp');
  assert.ok(ltOut.validationData.crls >= 2, JSON.stringify(ltOut.validationData));
  assert.ok((s.publication?.served() ?? 0) >= 2, 'the CRLs came from the distribution points');

  const lta = await runQoltanba(['cms', 'extend', file('two.lt.p7s'), '--level', 'LTA', '--tsa-url', s.tsa.url, '--ca', file('root.pem'), '--out', file('two.lta.p7s')]);
  assert.equal(lta.code, 0, lta.stdout + lta.stderr);
  assert.match(lta.stdout, /Signer 1:\s+archive time-stamp at/);

  await s.publication?.stop();
  const servedBefore = s.publication?.served();
  const v = await runQoltanba(['--json', 'verify', file('two.lta.p7s'), '--ca', file('root.pem'), '--at', '2031-06-01']);
  assert.equal(v.code, 0, v.stdout);
  const verdict = JSON.parse(v.stdout);
  for (const signer of verdict.signers) {
    assert.equal(signer.level, 'LTA');
    assert.equal(signer.judgedAt.basis, 'signature-time-stamp');
    assert.deepEqual(signer.timeStamps.map((x: { kind: string; valid: boolean }) => [x.kind, x.valid]), [['signature', true], ['archive', true]]);
  }
  assert.equal(s.publication?.served(), servedBefore, 'nothing was fetched: the embedded CRLs settled every status');

  const human = await runQoltanba(['verify', file('two.lta.p7s'), '--ca', file('root.pem'), '--at', '2031-06-01']);
  assert.match(human.stdout, /Signer 1 Judged as of:\s+\S+ — the signature existed at/);
  assert.match(human.stdout, /Signer 2 Time-stamp 2:\s+archive time-stamp at .* valid/);

  const plain = await runQoltanba(['--json', 'verify', file('two.p7s'), '--ca', file('root.pem'), '--at', '2031-06-01']);
  assert.equal(plain.code, 1);
  assert.equal(JSON.parse(plain.stdout).signers[0].judgedAt.basis, 'requested-time');

  const referee = spawnSync('openssl', ['cms', '-verify', '-inform', 'DER', '-in', file('two.lta.p7s'), '-binary', '-CAfile', file('root.pem'), '-purpose', 'any', '-out', file('out.txt')], { encoding: 'utf8' });
  assert.equal(referee.status, 0, referee.stderr);
  assert.equal(readFileSync(file('out.txt'), 'utf8'), 'Келісім / Соглашение / Agreement\n');
});

test('a PEM signature stays PEM; a refusing TSA, no TSA and usage mistakes exit with their codes', async () => {
  writeFileSync(file('one.pem'), toCmsPem(await signCms({ content: document, signer: s.alice.signer, certificate: s.alice.der })));
  const pem = await runQoltanba(['cms', 'extend', file('one.pem'), '--level', 'T', '--tsa-url', s.tsa.url]);
  assert.equal(pem.code, 0, pem.stderr);
  assert.match(readFileSync(file('one.t.pem'), 'utf8'), /^-----BEGIN CMS-----/);

  const refused = await runQoltanba(['--json', 'cms', 'extend', file('one.pem'), '--level', 'T', '--tsa-url', s.tsa.url, '--policy', '1.2.3.4.5', '--out', file('x.pem')]);
  assert.equal(refused.code, 1);
  assert.equal(JSON.parse(refused.stdout).error.code, 'QT_ERR_TSP_REFUSED');

  const noTsa = await runQoltanba(['cms', 'extend', file('one.pem'), '--level', 'T'], { ...process.env, QOLTANBA_TSA_URL: '' });
  assert.equal(noTsa.code, 1);
  assert.match(noTsa.stderr, /QT_ERR_INPUT_INVALID: Which TSA\?/);

  const down = await runQoltanba(['cms', 'extend', file('one.pem'), '--level', 'T', '--tsa-url', 'http://127.0.0.1:9/tsp']);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /QT_ERR_TSA_UNAVAILABLE/);

  for (const args of [['--level', 'X'], ['--hash', 'MD5', '--level', 'T'], []]) {
    const r = await runQoltanba(['cms', 'extend', file('one.pem'), '--tsa-url', s.tsa.url, ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
});
