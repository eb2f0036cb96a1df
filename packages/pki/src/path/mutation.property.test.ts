/**
 * Property tests: valid chains mutated the ways strangers' input differs from what we expect — certificates
 * swapped between roles, dropped, duplicated, re-ordered; extensions' critical flags flipped (re-signed, so
 * the chain still verifies, or not); bytes flipped — never crash validatePath, never exceed its budget, and
 * never produce a "valid" that does not hold together. Mere re-ordering and duplication keep a valid chain valid.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { errorCatalog } from '@qoltanba/errors';
import { toArrayBuffer } from '../encoding.ts';
import { buildCrl } from '../crl/build.ts';
import { readCertificate } from './certificate.ts';
import { defaultPathBudget } from './budget.ts';
import { leafOptions, makeCert, makeHierarchy, type TestCert } from './testing/ca.ts';
import { ext, resign } from './testing/extensions.ts';
import { validatePath } from './validate.ts';
import type { PathVerdict, ValidatePathOptions } from './types.ts';

const at = new Date('2025-06-01T00:00:00Z');
const budget = { maxSignatureChecks: 40, maxCandidatePaths: 8 };
let root: TestCert;
let ca: TestCert;
let leaf: TestCert;
let stranger: TestCert;
let crls: Uint8Array[];
/** Every certificate of the chain with one extension's critical flag flipped: re-signed by its issuer, and not. */
let flipped: Uint8Array[];

before(async () => {
  ({ root, ca } = await makeHierarchy());
  leaf = await makeCert(leafOptions(ca));
  stranger = await makeCert({ subject: 'CN=Stranger CA, C=KZ', ca: true });
  const window = { thisUpdate: new Date('2025-05-01T00:00:00Z'), nextUpdate: new Date('2025-07-01T00:00:00Z') };
  crls = [
    await buildCrl({ issuer: { certificate: root.der, signer: root.signer }, ...window, crlNumber: 1n, entries: [] }),
    await buildCrl({ issuer: { certificate: ca.der, signer: ca.signer }, ...window, crlNumber: 1n, entries: [] }),
  ];
  flipped = [];
  for (const [cert, issuer] of [[leaf, ca], [ca, root], [root, root]] as const) {
    const parsed = AsnConvert.parse(toArrayBuffer(cert.der), Certificate);
    for (const e of parsed.tbsCertificate.extensions ?? []) {
      const edited = await resign(cert, issuer, { extensions: ext.critical(e.extnID, !e.critical) });
      flipped.push(edited.der);
      // The same edit without a new signature: the bytes no longer match what the issuer signed.
      const unsigned = AsnConvert.parse(toArrayBuffer(edited.der), Certificate);
      unsigned.signatureValue = parsed.signatureValue;
      flipped.push(new Uint8Array(AsnConvert.serialize(unsigned)));
    }
  }
});

/** The invariants every verdict must keep, whatever the input. */
function assertSound(verdict: PathVerdict, options: ValidatePathOptions): void {
  assert.equal(typeof verdict.ok, 'boolean');
  const work = verdict.work ?? {};
  assert.ok((work['signatureChecks'] ?? 0) <= budget.maxSignatureChecks, JSON.stringify(work));
  assert.ok((work['candidatePaths'] ?? 0) <= budget.maxCandidatePaths, JSON.stringify(work));
  assert.ok((work['policyNodes'] ?? 0) <= defaultPathBudget.maxPolicyNodes);
  if (!verdict.ok) {
    assert.ok(verdict.error && verdict.error.code in errorCatalog, `unknown error ${String(verdict.error?.code)}`);
    return;
  }
  assert.equal(verdict.error, undefined);
  // A "valid" holds together: it starts at the leaf given, ends at an anchor given, and each link names the next.
  const chain = verdict.chain;
  assert.deepEqual(chain[0]?.certificate, readCertificate(options.leaf).der);
  const last = chain[chain.length - 1];
  assert.equal(last?.trustAnchor, true);
  assert.ok(options.trustAnchors.some((a) => Buffer.from(readCertificate(a).der).equals(Buffer.from(last?.certificate ?? []))));
  for (let i = 0; i + 1 < chain.length; i++) assert.equal(chain[i]?.issuer, chain[i + 1]?.subject);
}

async function check(options: ValidatePathOptions): Promise<PathVerdict> {
  let verdict: PathVerdict;
  try {
    verdict = await validatePath({ ...options, budget });
  } catch (e) {
    assert.fail(`validatePath threw: ${(e as Error).stack}`);
  }
  assertSound(verdict, options);
  return verdict;
}

const pool = (): Uint8Array[] => [leaf.der, ca.der, root.der, stranger.der];

test('swapping, dropping, duplicating and moving certificates between leaf, intermediates and anchors never crashes or overspends', async () => {
  const role = fc.constantFrom<'leaf' | 'intermediate' | 'anchor' | 'gone'>('leaf', 'intermediate', 'anchor', 'gone');
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.nat(3), role), { minLength: 1, maxLength: 12 }), fc.constantFrom('off', 'prefer', 'require'), async (moves, mode) => {
      const certs = pool();
      const leafPick = moves.find(([, r]) => r === 'leaf')?.[0] ?? 0;
      const intermediates = moves.filter(([, r]) => r === 'intermediate').map(([i]) => certs[i] as Uint8Array);
      const anchors = moves.filter(([, r]) => r === 'anchor').map(([i]) => certs[i] as Uint8Array);
      await check({ leaf: certs[leafPick] as Uint8Array, intermediates, trustAnchors: anchors, at, revocation: { crls, mode: mode as 'off' } });
    }),
    { numRuns: 150 },
  );
});

test('re-ordering and duplicating the intermediates and anchors of a valid chain keeps it valid', async () => {
  await fc.assert(
    fc.asyncProperty(fc.shuffledSubarray([ca.der, ca.der, stranger.der, leaf.der, ca.der], { minLength: 1 }), fc.shuffledSubarray([root.der, root.der, stranger.der], { minLength: 1 }), async (intermediates, anchors) => {
      fc.pre(intermediates.includes(ca.der) && anchors.includes(root.der));
      const verdict = await check({ leaf: leaf.der, intermediates, trustAnchors: anchors, at, revocation: { crls, mode: 'require' } });
      assert.equal(verdict.ok, true, verdict.error?.message);
      assert.deepEqual(verdict.chain.map((e) => e.serial), [leaf.serial, ca.serial, root.serial]);
    }),
    { numRuns: 60 },
  );
});

test('flipping critical flags (re-signed or not) anywhere on the chain never crashes or overspends', async () => {
  await fc.assert(
    fc.asyncProperty(fc.nat(flipped.length - 1), fc.constantFrom(0, 1, 2), async (pick, where) => {
      const certs: Uint8Array[] = [leaf.der, ca.der, root.der];
      certs[where] = flipped[pick] as Uint8Array;
      // The flipped certificate is offered in every role, beside the originals.
      await check({ leaf: certs[0] as Uint8Array, intermediates: [certs[1] as Uint8Array, flipped[pick] as Uint8Array], trustAnchors: [certs[2] as Uint8Array], at, revocation: { crls, mode: 'prefer' } });
    }),
    { numRuns: 80 },
  );
});

test('flipped bytes anywhere in any certificate give a verdict with a catalogue code, never an exception', async () => {
  await fc.assert(
    fc.asyncProperty(fc.nat(2), fc.nat(), fc.integer({ min: 1, max: 255 }), async (which, offset, mask) => {
      const certs = [leaf.der, ca.der, root.der].map((c) => c.slice());
      const target = certs[which] as Uint8Array;
      target[offset % target.length]! ^= mask;
      await check({ leaf: certs[0] as Uint8Array, intermediates: [certs[1] as Uint8Array], trustAnchors: [certs[2] as Uint8Array], at, revocation: { crls, mode: 'prefer' } });
    }),
    { numRuns: 200 },
  );
});
