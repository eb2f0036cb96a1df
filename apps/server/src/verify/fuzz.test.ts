/**
 * 10 000 mutated CMS signatures through both REST shapes: no crash, no 5xx, every refusal with a stable
 * code. The mutator is seeded (QT_FUZZ_SEED to replay a run) and works on the DER the way damage and
 * attackers do: bit flips, overwritten bytes, length octets bent, ranges cut, doubled or swapped,
 * truncation, random TLVs spliced in. The bases are real signatures (NCA's RSA and GOST 2015 keys, one
 * detached) whose mutants reach every stage: decoding, signature checks, chain building and revocation
 * (NCA's CRL and OCSP answers through a mirror, cached after the first fetch).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { importPkcs12Key, signCms, toBase64, toPem, utf8, verifyCmsDocument, verifyXmlDocument, isQtError, signXml } from '@qoltanba/pki';
import { GOST2015_KEY_PASSWORD, TEST_KEY_PASSWORD, nca, readFixture } from '../../../../test/support/fixtures.ts';
import { startNcaMirror, type NcaMirror } from './testing/nca-mirror.ts';
import { verifyApp } from './testing/harness.ts';

const SEED = Number(process.env.QT_FUZZ_SEED ?? 0x5eed14);
const CMS_CASES = 10_000;
const XML_CASES = 1_000;
const AT = '2022-04-01T00:00:00Z';

/** mulberry32: small, seeded, good enough to pick mutations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(input: Uint8Array, rnd: () => number): Uint8Array {
  const int = (n: number) => Math.floor(rnd() * n);
  let b = Uint8Array.from(input);
  const rounds = 1 + int(3);
  for (let r = 0; r < rounds; r++) {
    const at = int(b.length);
    switch (int(9)) {
      case 0:
        b[at] = (b[at] as number) ^ (1 << int(8));
        break;
      case 1:
        b[at] = int(256);
        break;
      case 2: {
        // A length octet: the byte after a tag, or a long-form length's bytes.
        const lengths = [...b.keys()].filter((i) => i > 0 && (b[i - 1] === 0x30 || b[i - 1] === 0x31 || b[i - 1] === 0x04 || b[i - 1] === 0xa0 || b[i - 1] === 0x82));
        const i = lengths[int(lengths.length)] ?? at;
        b[i] = [0x00, 0x7f, 0x80, 0x81, 0x84, 0xff, ((b[i] as number) + 1) & 0xff, ((b[i] as number) - 1) & 0xff][int(8)] as number;
        break;
      }
      case 3:
        b = b.slice(0, at);
        break;
      case 4: {
        const len = 1 + int(64);
        b = new Uint8Array([...b.slice(0, at), ...b.slice(at + len)]);
        break;
      }
      case 5: {
        const len = 1 + int(64);
        b = new Uint8Array([...b.slice(0, at + len), ...b.slice(at, at + len), ...b.slice(at + len)]);
        break;
      }
      case 6: {
        const other = int(b.length);
        const len = 1 + int(32);
        const x = b.slice(at, at + len);
        b.set(b.slice(other, other + len).subarray(0, x.length), at);
        b.set(x.subarray(0, Math.max(0, Math.min(x.length, b.length - other))), other);
        break;
      }
      case 7: {
        const tlv = [[0x30, 0x80, 0x00, 0x00], [0x06, 0x03, 0x2a, 0x86, 0x48], [0x02, 0x81, 0xff], [0xa0, 0x84, 0x7f, 0xff, 0xff, 0xff], [0x04, 0x00], [0x05, 0x00]][int(6)] as number[];
        b = new Uint8Array([...b.slice(0, at), ...tlv, ...b.slice(at)]);
        break;
      }
      default:
        for (let i = 0; i < 1 + int(16); i++) b[int(b.length)] = int(256);
    }
  }
  return b;
}

let mirror: NcaMirror;
let v: Awaited<ReturnType<typeof verifyApp>>;
const bases: { cms: Uint8Array; data?: string }[] = [];
let xmlBase = '';

before(async () => {
  mirror = await startNcaMirror();
  v = await verifyApp({ trust: { presets: ['nca-test'] }, fetch: { mirrors: mirror.mirrors } });
  const rsa = await importPkcs12Key(readFixture(...nca.revokedAuthKey), TEST_KEY_PASSWORD);
  const gost = await importPkcs12Key(readFixture(...nca.valid2015Key), GOST2015_KEY_PASSWORD);
  const content = utf8('Келісім-шарт № 7');
  bases.push({ cms: await signCms({ signer: rsa.signer, certificate: rsa.certificate, content, chain: [readFixture(...nca.rsaCa)] }) });
  bases.push({ cms: await signCms({ signer: rsa.signer, certificate: rsa.certificate, content, detached: true }), data: toBase64(content) });
  bases.push({ cms: await signCms({ signer: gost.signer, certificate: gost.certificate, content }) });
  xmlBase = await signXml('<?xml version="1.0" encoding="UTF-8"?><doc><a Id="x">1</a><b>Қолтаңба</b></doc>', { signer: rsa.signer, certificate: rsa.certificate });
});
after(async () => {
  await v?.close();
  await mirror?.close();
});

test(`${CMS_CASES} mutated CMS signatures through /api/v1/verify and /cms/verify: no crash, no 5xx, stable codes (seed ${SEED})`, async (t) => {
  const rnd = prng(SEED);
  const outcomes = new Map<string, number>();
  const count = (k: string) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
  for (let i = 0; i < CMS_CASES; i++) {
    // GOST (pure TypeScript, slower) one case in ten, through both shapes; RSA attached and detached otherwise.
    const base = bases[i % 20 === 9 || i % 20 === 14 ? 2 : Math.floor(i / 2) % 2] as (typeof bases)[number];
    const mutant = mutate(base.cms, rnd);
    // Now and then as PEM text, the way NCALayer hands CMS out.
    const cms = i % 7 === 0 ? toPem('CMS', mutant) : toBase64(mutant);
    const ours = i % 2 === 0;
    const r = await v.app.inject({
      method: 'POST',
      url: ours ? '/api/v1/verify' : '/cms/verify',
      payload: ours ? { cms, data: base.data, at: AT } : { cms, data: base.data, at: AT, revocationCheck: ['CRL'] },
    });
    const context = `case ${i} (seed ${SEED}), ${ours ? 'ours' : 'NCANode'}: ${r.statusCode} ${r.body.slice(0, 300)}`;
    assert.ok(r.statusCode < 500, context);
    const body = r.json();
    if (r.statusCode === 200) {
      assert.equal(typeof body.valid, 'boolean', context);
      count(body.valid ? 'valid' : `verdict ${ours ? body.error.code : (body.signers[0]?.subIndication ?? body.signers[0]?.status ?? 'none')}`);
    } else {
      const code = ours ? body.error?.code : body.code;
      assert.match(code ?? '', /^QT_ERR_[A-Z0-9_]+$/, context);
      count(`${r.statusCode} ${code}`);
    }
  }
  // The mutants must have reached past decoding, or this proves little.
  const verdicts = [...outcomes].filter(([k]) => k.startsWith('verdict') || k === 'valid').reduce((n, [, c]) => n + c, 0);
  assert.ok(verdicts > CMS_CASES / 20, `only ${verdicts} mutants reached a verdict: ${JSON.stringify([...outcomes])}`);
  t.diagnostic(`outcomes: ${JSON.stringify(Object.fromEntries([...outcomes].sort((a, b) => b[1] - a[1])))}`);
});

test(`${XML_CASES} mutated signed XML documents through the library: only QtErrors or verdicts (seed ${SEED})`, async () => {
  const rnd = prng(SEED ^ 0xa5a5);
  const text = utf8(xmlBase);
  const options = { trustAnchors: [readFixture(...nca.rsaCa)], at: new Date(AT), revocation: 'off' as const };
  for (let i = 0; i < XML_CASES; i++) {
    const mutant = new TextDecoder().decode(mutate(text, rnd));
    try {
      const verdict = await verifyXmlDocument(mutant, options);
      assert.equal(typeof verdict.valid, 'boolean');
    } catch (e) {
      assert.ok(isQtError(e), `case ${i} (seed ${SEED}) threw ${String(e)}`);
    }
  }
  // The library itself, on CMS mutants, the same.
  for (let i = 0; i < 500; i++) {
    try {
      await verifyCmsDocument(mutate(bases[0]!.cms, rnd), options);
    } catch (e) {
      assert.ok(isQtError(e), `cms case ${i} (seed ${SEED}) threw ${String(e)}`);
    }
  }
});
