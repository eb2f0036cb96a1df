/**
 * Time-stamped signatures through both REST shapes: /api/v1/verify reports each time-stamp, the CAdES level and
 * the time a signer was judged at; NCANode's /cms/verify fills `tsp`, `bestSignatureTime`, `signatureTimestamp`
 * and `adesLevel`. Stamps come from an outside TSA (openssl ts -reply over HTTP); revocation is required and only
 * what the CAdES-LTA signature carries is available.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extendCades, parseTimeStampToken, signCms, toBase64, toHex, utf8, SignedDataEditor, oid } from '@qoltanba/pki';
import { timeScenario, type TimeScenario } from '@qoltanba/pki/testing';
import { verifyApp } from './testing/harness.ts';

let s: TimeScenario;
let dir: string;
let v: Awaited<ReturnType<typeof verifyApp>>;
let lta: Uint8Array;

before(async () => {
  s = await timeScenario();
  dir = mkdtempSync(join(tmpdir(), 'qt-verify-tsp-'));
  writeFileSync(join(dir, 'root.pem'), s.root.pem);
  v = await verifyApp({ trust: { presets: [], anchors: [join(dir, 'root.pem')] }, revocation: { mode: 'require' } });
  const cms = await signCms({ content: utf8('Төлем / Платёж'), signer: s.alice.signer, certificate: s.alice.der, chain: [s.ca.der] });
  lta = (await extendCades(cms, { level: 'LTA', transport: s.tsa.transport, verify: { trustAnchors: [s.root.der], crls: s.currentCrls } })).cms;
});
after(async () => {
  await v?.close();
  await s?.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = async (url: string, payload: object) => {
  const r = await v.app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json' } });
  return { status: r.statusCode, body: r.json() };
};

test('/api/v1/verify: a CAdES-LTA signature in 2031, judged as of its signature time-stamp, every stamp reported', async () => {
  const r = await post('/api/v1/verify', { cms: toBase64(lta), at: '2031-06-01T00:00:00Z' });
  assert.equal(r.status, 200);
  assert.equal(r.body.valid, true, JSON.stringify(r.body.error));
  const [signer] = r.body.signers;
  assert.equal(signer.level, 'LTA');
  assert.equal(signer.judgedAt.basis, 'signature-time-stamp');
  assert.deepEqual(signer.timeStamps.map((t: { kind: string; valid: boolean }) => [t.kind, t.valid]), [['signature', true], ['archive', true]]);
  assert.equal(signer.timeStamps[0].tsa.subject, 'CN=Qoltanba Test TSA, O=Qoltanba, C=KZ');
  assert.equal(signer.timeStamps[0].chain.length, 3);
  assert.equal(signer.judgedAt.time, signer.timeStamps[0].genTime);
});

test("NCANode's /cms/verify fills tsp as NCANode spells it, bestSignatureTime from the stamp, and adesLevel", async () => {
  const r = await post('/cms/verify', { cms: toBase64(lta), at: '2031-06-01T00:00:00Z' });
  assert.equal(r.status, 200);
  assert.equal(r.body.valid, true, r.body.message);
  const [signer] = r.body.signers;
  const token = SignedDataEditor.open(lta).unsignedAttributes(0).find((a) => a.type === oid.attrTimeStampToken)!.values[0]!;
  const info = parseTimeStampToken(token);
  assert.equal(signer.tsp.policy, info.policy);
  assert.equal(signer.tsp.tspHashAlgorithm, 'SHA256');
  assert.equal(signer.tsp.hash, toHex(info.messageImprint.hashedMessage));
  assert.match(signer.tsp.serialNumber, /^[0-9a-f]+$/);
  assert.equal(signer.tsp.tsa, '4: CN=Qoltanba Test TSA, O=Qoltanba, C=KZ');
  assert.equal(new Date(signer.tsp.genTime).getTime(), info.genTime.getTime());
  assert.equal(new Date(signer.bestSignatureTime).getTime(), info.genTime.getTime());
  assert.equal(signer.signatureTimestamp, signer.bestSignatureTime);
  assert.equal(signer.adesLevel, 'LTA');
  assert.equal(signer.status, 'VALID');
});

test('without time-stamps NCANode\'s fields stay as before: bestSignatureTime is the time asked for, no tsp', async () => {
  const cms = await signCms({ content: utf8('x'), signer: s.alice.signer, certificate: s.alice.der, chain: [s.ca.der] });
  const r = await post('/cms/verify', { cms: toBase64(cms), at: '2027-01-01T00:00:00Z' });
  const [signer] = r.body.signers;
  assert.equal(signer.tsp, undefined);
  assert.equal(signer.signatureTimestamp, undefined);
  assert.equal(signer.adesLevel, 'B');
  assert.equal(new Date(signer.bestSignatureTime).toISOString(), '2027-01-01T00:00:00.000Z');
});
