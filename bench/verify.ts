/**
 * Verify: CMS signatures verified per second the way a relying party must — the CMS (content digest, signed
 * attributes, signature), then the signer's chain of 3 (leaf, issuing CA, root as trust anchor) with RFC 5280
 * path validation and revocation required (a cached OCSP response for the leaf, the root's CRL for the CA) —
 * for an RSA-2048 signer under an RSA hierarchy and a GOST 34.10-2015 (512) signer under a GOST hierarchy.
 * Beside it, in the same run: OpenSSL's CMS_verify in a C loop over the same RSA input (chain, no revocation;
 * lib/cms-verify-speed.c, built with cc against libssl-dev), `openssl cms -verify` as a process per input,
 * and the raw signature-verify ceilings (`openssl speed rsa2048`; for GOST our own bare verify and the
 * OpenSSL GOST engine's, lib/gost-engine-speed.c). OpenSSL cannot verify the Kazakh GOST CMS (its engine does
 * not know NCA's OIDs), so that row has no CMS baseline. One CMS verification = 3 signature checks for us
 * (signer, leaf by CA, CA by root; the OCSP response and CRL are checked too: 5 in all).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KZ_GOST_2015_512,
  PathBudget,
  buildCrl,
  buildOcspResponse,
  computeIssuerHashes,
  createCsr,
  generateGostKeyPair,
  generateRsaKeyPair,
  gostSigner,
  issueCaCertificate,
  issueCertificate,
  makeCertId,
  signCms,
  toPem,
  validatePath,
  verifyCms,
  verifySignature,
  webCryptoSigner,
  type Signer,
} from '@qoltanba/pki';
import { opensslRsaSpeed } from './lib/openssl.ts';
import { printTable, type BenchRow } from './lib/table.ts';

const SECONDS = Number(process.env.BENCH_VERIFY_SECONDS ?? 3);

interface Fixture {
  name: string;
  cms: Uint8Array;
  root: Uint8Array;
  issuing: Uint8Array;
  ocsp: Uint8Array;
  rootCrl: Uint8Array;
  at: Date;
}

async function hierarchy(name: string, newSigner: () => Promise<Signer>): Promise<Fixture> {
  const [rootSigner, issuingSigner, leafSigner] = [await newSigner(), await newSigner(), await newSigner()];
  const root = await issueCaCertificate({ profile: 'root-ca', subject: [{ type: 'C', value: 'KZ' }, { type: 'CN', value: `BENCH ROOT (${name})` }], signer: rootSigner });
  const issuing = await issueCaCertificate({
    profile: 'issuing-ca',
    subject: [{ type: 'C', value: 'KZ' }, { type: 'CN', value: `BENCH ISSUING CA (${name})` }],
    publicKey: issuingSigner.publicKey,
    issuer: { certificate: root.der, signer: rootSigner },
    urls: { crl: 'http://127.0.0.1:8080/crl/root.crl', caIssuers: 'http://127.0.0.1:8080/cert/root.cer' },
  });
  const csr = await createCsr(leafSigner, [{ type: 'CN', value: 'ignored' }]);
  const urls = { crl: 'http://127.0.0.1:8080/crl/ca.crl', deltaCrl: 'http://127.0.0.1:8080/crl/ca-delta.crl', ocsp: 'http://127.0.0.1:8080/ocsp', caIssuers: 'http://127.0.0.1:8080/cert/ca.cer' };
  const leaf = await issueCertificate({
    csr: csr.der,
    profile: 'individual-sign',
    subject: { surname: 'СЕРІКОВ', name: 'АСАН', iin: '900101300017' },
    issuer: { certificate: issuing.der, signer: issuingSigner },
    urls,
  });
  const at = new Date(leaf.notBefore.getTime() + 60_000);
  const ocsp = await buildOcspResponse({
    responder: { certificate: issuing.der, signer: issuingSigner },
    responses: [{ status: 'good', certId: makeCertId(await computeIssuerHashes(issuing.der), leaf.serialHex), thisUpdate: at, nextUpdate: new Date(at.getTime() + 86_400_000) }],
    producedAt: at,
  });
  const rootCrl = await buildCrl({ issuer: { certificate: root.der, signer: rootSigner }, thisUpdate: at, nextUpdate: new Date(at.getTime() + 86_400_000), crlNumber: 1n, entries: [] });
  const cms = await signCms({ signer: leafSigner, certificate: leaf.der, chain: [issuing.der], content: new TextEncoder().encode('Өтінім: ЭЦҚ кілттерін қайта шығару'.repeat(30)) });
  return { name, cms, root: root.der, issuing: issuing.der, ocsp, rootCrl, at };
}

/** One relying-party verification; throws if the verdict is not valid (a benchmark of failures would be meaningless). */
async function verifyOnce(f: Fixture): Promise<void> {
  const budget = new PathBudget();
  const cms = await verifyCms(f.cms, { budget });
  for (const signer of cms.signers) {
    const verdict = await validatePath({
      leaf: signer.certificate,
      intermediates: cms.certificates,
      trustAnchors: [f.root],
      at: f.at,
      revocation: { ocspResponses: [f.ocsp], crls: [f.rootCrl], mode: 'require' },
      purpose: 'emailProtection',
      budget,
    });
    if (!verdict.ok) throw new Error(`${f.name}: ${verdict.error?.code} ${verdict.error?.message}`);
  }
}

async function rate(fn: () => Promise<unknown>, seconds = SECONDS): Promise<number> {
  for (let i = 0; i < 5; i++) await fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await fn();
    n++;
  }
  return (n * 1000) / (performance.now() - start);
}

function cBaseline(source: string, args: (dir: string) => string[]): number | string {
  const dir = mkdtempSync(join(tmpdir(), 'qt-bench-verify-'));
  try {
    const binary = join(dir, 'speed');
    const cc = spawnSync('cc', ['-O2', '-o', binary, join(import.meta.dirname, 'lib', source), '-lcrypto'], { encoding: 'utf8' });
    if (cc.status !== 0) return `not measured: cc/libssl-dev unavailable (${(cc.stderr || String(cc.error)).trim().split('\n')[0]})`;
    const r = spawnSync(binary, args(dir), { encoding: 'utf8' });
    if (r.status !== 0) return `not measured: ${r.stderr.trim().split('\n')[0]}`;
    return (JSON.parse(r.stdout) as { verifyPerSec: number }).verifyPerSec;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `openssl cms -verify` as a relying party's script would run it: one process per input. */
function opensslCmsProcesses(f: Fixture, seconds = SECONDS): number | string {
  const dir = mkdtempSync(join(tmpdir(), 'qt-bench-verify-'));
  try {
    writeFileSync(join(dir, 'cms.der'), f.cms);
    writeFileSync(join(dir, 'root.pem'), toPem('CERTIFICATE', f.root));
    const args = ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'cms.der'), '-CAfile', join(dir, 'root.pem'), '-out', '/dev/null'];
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < seconds * 1000) {
      const r = spawnSync('openssl', args, { encoding: 'utf8' });
      if (r.status !== 0) return `not measured: ${r.stderr.trim().split('\n')[0]}`;
      n++;
    }
    return (n * 1000) / (performance.now() - start);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const rsaSigner = async (): Promise<Signer> => {
    const keys = await generateRsaKeyPair(2048);
    return webCryptoSigner(keys.privateKey, keys.publicKey);
  };
  const gost = async (): Promise<Signer> => gostSigner(generateGostKeyPair(KZ_GOST_2015_512).privateKey);
  const rsa = await hierarchy('RSA-2048', rsaSigner);
  const gostChain = await hierarchy('GOST-2015-512', gost);

  const oursRsa = await rate(() => verifyOnce(rsa));
  const oursGost = await rate(() => verifyOnce(gostChain));
  const cmsLoop = cBaseline('cms-verify-speed.c', (dir) => {
    writeFileSync(join(dir, 'cms.der'), rsa.cms);
    writeFileSync(join(dir, 'root.pem'), toPem('CERTIFICATE', rsa.root));
    return [join(dir, 'cms.der'), join(dir, 'root.pem'), '-', String(SECONDS)];
  });
  const cmsProcesses = opensslCmsProcesses(rsa);
  const ceiling = opensslRsaSpeed(2048, SECONDS);
  // GOST ceiling: a bare verification of one signature, ours and the engine's (C).
  const message = new Uint8Array(1024).fill(0x5a);
  const pair = generateGostKeyPair(KZ_GOST_2015_512);
  const input = { spki: pair.publicKey, data: message, signature: await gostSigner(pair.privateKey).sign(message) };
  const oursGostBare = await rate(async () => {
    if (!(await verifySignature(KZ_GOST_2015_512.signatureOid, input))) throw new Error('did not verify');
  });
  const engine = cBaseline('gost-engine-speed.c', () => [String(SECONDS)]);

  const n = (v: number | string): string => (typeof v === 'number' ? `${v.toFixed(1)}/s` : v);
  const share = (ours: number, of: number | string): string => (typeof of === 'number' ? ` = ${((100 * ours) / of).toFixed(0)} %` : '');
  const perCeiling = ceiling.verifyPerSec / 3;
  const rows: BenchRow[] = [
    { what: 'CMS verify, RSA-2048 signer, chain of 3, revocation required', ours: n(oursRsa), openssl: n(cmsLoop), note: 'OpenSSL: CMS_verify in a C loop (chain, no revocation)' },
    { what: '  same input, openssl cms -verify per process', ours: '', openssl: n(cmsProcesses), note: 'what a shell script calling openssl gets' },
    {
      what: '  ceiling: 3 RSA-2048 verifies per CMS',
      ours: `${share(oursRsa, perCeiling).slice(3)} of it`,
      openssl: n(perCeiling),
      note: `openssl speed rsa2048: ${ceiling.verifyPerSec.toFixed(0)} verify/s ÷ 3`,
    },
    { what: 'CMS verify, GOST-2015-512 signer, chain of 3, revocation required', ours: n(oursGost), openssl: 'not verifiable', note: 'the GOST engine does not know the Kazakh OIDs' },
    {
      what: '  ceiling: 3 GOST-2015-512 verifies per CMS',
      ours: n(oursGostBare / 3),
      openssl: typeof engine === 'number' ? n(engine / 3) : engine,
      note: 'ours: bare verifySignature (cached key); engine: C loop',
    },
  ];
  printTable('Verify: CMS signatures, chain and revocation (relying party)', rows);
}
