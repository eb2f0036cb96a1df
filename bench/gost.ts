/**
 * GOST: GOST 34.10-2015 (512) signatures per second and Streebog-512 throughput, ours (pure TypeScript over
 * @noble/curves) beside Debian's OpenSSL GOST engine (libengine-gost-openssl) on the same machine and run.
 * The engine's signature rates come from a small C loop (lib/gost-engine-speed.c, built here with cc against
 * libssl-dev) since `openssl speed` has no GOST signature test; its Streebog rate from `openssl speed -evp`
 * through the same package's provider. Both sides sign and verify 1 KiB messages (hash included).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeKzSignature, eFromDigest, generateGostKeyPair, gost34311, gostSigner, KZ_GOST_2015_512, readKzGostSpki, streebog512, verifySignature } from '@qoltanba/pki';
import { printTable, type BenchRow } from './lib/table.ts';

const SECONDS = Number(process.env.BENCH_GOST_SECONDS ?? 3);

async function rate(fn: () => Promise<unknown> | unknown, seconds = SECONDS): Promise<number> {
  for (let i = 0; i < 5; i++) await fn(); // warm-up: JIT and noble's base-point table
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    await fn();
    n++;
  }
  return (n * 1000) / (performance.now() - start);
}

/** Rates of several functions measured in alternating slices, so a change in machine load hits all alike. */
async function interleavedRates(fns: (() => Promise<unknown> | unknown)[], seconds = SECONDS, slices = 12): Promise<number[]> {
  for (const fn of fns) for (let i = 0; i < 5; i++) await fn();
  const counts = fns.map(() => 0);
  const times = fns.map(() => 0);
  for (let slice = 0; slice < slices; slice++) {
    for (const [i, fn] of fns.entries()) {
      const start = performance.now();
      const end = start + (seconds * 1000) / slices;
      while (performance.now() < end) {
        await fn();
        counts[i]!++;
      }
      times[i]! += performance.now() - start;
    }
  }
  return counts.map((n, i) => (n * 1000) / times[i]!);
}

function throughput(hash: (d: Uint8Array) => Uint8Array, seconds = SECONDS): number {
  const block = new Uint8Array(1 << 20).map((_, i) => i & 0xff);
  hash(block);
  let bytes = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    hash(block);
    bytes += block.length;
  }
  return bytes / 1024 / 1024 / ((performance.now() - start) / 1000);
}

function engineSignatureRates(): { signPerSec: number; verifyPerSec: number } | string {
  const dir = mkdtempSync(join(tmpdir(), 'qt-bench-gost-'));
  try {
    const binary = join(dir, 'gost-engine-speed');
    const cc = spawnSync('cc', ['-O2', '-o', binary, join(import.meta.dirname, 'lib', 'gost-engine-speed.c'), '-lcrypto'], { encoding: 'utf8' });
    if (cc.status !== 0) return `not measured: cc/libssl-dev unavailable (${(cc.stderr || String(cc.error)).trim().split('\n')[0]})`;
    const r = spawnSync(binary, [String(SECONDS)], { encoding: 'utf8' });
    if (r.status !== 0) return `not measured: ${r.stderr.trim()} (apt-get install libengine-gost-openssl)`;
    return JSON.parse(r.stdout) as { signPerSec: number; verifyPerSec: number };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function engineStreebogMBps(): number | string {
  const r = spawnSync('openssl', ['speed', '-provider', 'gostprov', '-provider', 'default', '-mr', '-seconds', String(SECONDS), '-bytes', String(1 << 16), '-evp', 'md_gost12_512'], {
    encoding: 'utf8',
  });
  // Machine-readable: +F:<index>:<name>:<bytes per second for each size>
  const line = r.stdout.split('\n').find((l) => l.startsWith('+F:'));
  if (r.status !== 0 || !line) return `not measured: ${r.stderr.trim().split('\n')[0] ?? 'openssl speed failed'}`;
  return Number(line.split(':').pop()) / 1024 / 1024;
}

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [a % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const k = r0 / r1;
    [r0, r1] = [r1, r0 - k * r1];
    [s0, s1] = [s1, s0 - k * s1];
  }
  return ((s0 % m) + m) % m;
}

export async function run(): Promise<void> {
  const message = new Uint8Array(1024).fill(0x5a);
  const pair = generateGostKeyPair(KZ_GOST_2015_512);
  const signer = gostSigner(pair.privateKey);
  const signature = await signer.sign(message);
  const input = { spki: pair.publicKey, data: message, signature };
  const oursSign = await rate(() => signer.sign(message));
  // The path before issue 14, measured in this run: noble's generic arithmetic for z1·G + z2·Q, the key with
  // window-4 tables (what the key cache gave it), hash and decoding as in the real path.
  const previousKey = readKzGostSpki(pair.publicKey);
  previousKey.point.precompute(4, false);
  const { curve } = previousKey;
  const [oursVerify = 0, previousVerify = 0] = await interleavedRates([
    async () => {
      if (!(await verifySignature(KZ_GOST_2015_512.signatureOid, input))) throw new Error('our own signature did not verify');
    },
    () => {
      const { r, s } = decodeKzSignature(signature, curve);
      const e = eFromDigest(KZ_GOST_2015_512.hash(message), curve);
      const v = modInverse(e, curve.q);
      const z1 = (s * v) % curve.q;
      const z2 = (((-r * v) % curve.q) + curve.q) % curve.q;
      const c = curve.Point.BASE.multiplyUnsafe(z1).add(previousKey.point.multiplyUnsafe(z2));
      if (c.toAffine().x % curve.q !== r) throw new Error('did not verify');
    },
  ]);
  // Relying parties see few keys many times (a CA's), which the key cache serves; a stranger's key costs more.
  const strangers = await Promise.all(
    Array.from({ length: 40 }, async () => {
      const p = generateGostKeyPair(KZ_GOST_2015_512);
      return { spki: p.publicKey, data: message, signature: await gostSigner(p.privateKey).sign(message) };
    }),
  );
  let next = 0;
  const oursVerifyNew = await rate(async () => {
    if (!(await verifySignature(KZ_GOST_2015_512.signatureOid, strangers[next++ % strangers.length]!))) throw new Error('did not verify');
  });
  const oursStreebog = throughput(streebog512);
  const oursGost94 = throughput(gost34311, Math.min(SECONDS, 2));

  const engine = engineSignatureRates();
  const engineHash = engineStreebogMBps();
  const show = (v: number | string | undefined, unit: string) => (typeof v === 'number' ? `${v.toFixed(1)}${unit}` : (v ?? ''));
  const rows: BenchRow[] = [
    {
      what: 'GOST 34.10-2015 (512) sign, 1 KiB',
      ours: show(oursSign, '/s'),
      openssl: show(typeof engine === 'string' ? engine : engine.signPerSec, '/s'),
      note: 'Streebog-512 + k·G (noble constant-time multiply) vs engine C code',
    },
    {
      what: 'GOST 34.10-2015 (512) verify, 1 KiB',
      ours: show(oursVerify, '/s'),
      openssl: show(typeof engine === 'string' ? undefined : engine.verifyPerSec, '/s'),
      note: 'same key each time (cached key with its comb table, fast-verify.ts)',
    },
    {
      what: '  the same, previous path (noble alone)',
      ours: show(previousVerify, '/s'),
      openssl: '',
      note: `before issue 14: generic field and formulas; now ×${(oursVerify / previousVerify).toFixed(1)}`,
    },
    {
      what: 'GOST 34.10-2015 (512) verify, new key each',
      ours: show(oursVerifyNew, '/s'),
      openssl: show(typeof engine === 'string' ? undefined : engine.verifyPerSec, '/s'),
      note: 'key decode + on-curve check + z2·Q without tables',
    },
    { what: 'Streebog-512 throughput', ours: show(oursStreebog, ' MB/s'), openssl: show(engineHash, ' MB/s'), note: '1 MiB buffers (ours), 64 KiB blocks (openssl speed)' },
    { what: 'GOST 34.311-95 (test S-box) throughput', ours: show(oursGost94, ' MB/s'), openssl: '—', note: 'the engine has only the CryptoPro S-box' },
  ];
  printTable('GOST (NCA): signatures and hashes', rows);
}
