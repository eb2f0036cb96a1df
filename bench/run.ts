/**
 * `npm run bench` runs every bench/*.ts (except this file), or those named, with their options after the names:
 *
 *   npm run bench -- --help
 *   npm run bench -- ocsp crl --backend pglite --seconds 5
 *
 * Each prints its own table, ours beside a baseline measured in the same run. Benches on PostgreSQL get it
 * the way the test command does (scripts/ensure-postgres.sh: started when installed but stopped, installed
 * when absent). What each one measures and the last figures: bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { opensslVersion } from './lib/openssl.ts';

interface BenchInfo {
  summary: string;
  /** 'always': runs on PostgreSQL only; 'default': unless --backend pglite. */
  postgres?: 'always' | 'default';
  options?: string;
}

/** One line per bench for --help (details in bench/README.md). A bench file without an entry here is an error. */
const BENCHES: Record<string, BenchInfo> = {
  agent: { summary: 'the local agent through ncalayer-js-client in Chromium: CMS 1 KB/10 MB, CMS + time-stamp, wss vs ws, XML, key pairs + CSRs vs openssl cms (+ ts), xmlsec1, openssl req', options: 'BENCH_AGENT_RUNS=7' },
  crl: { summary: 'a full CRL of 1 M revoked certificates: generate + sign, parse + verify vs openssl ca -gencrl / openssl crl', postgres: 'default', options: '--backend postgres|pglite --entries 1000000' },
  gost: { summary: 'GOST 34.10-2015 (512) sign/verify per second and Streebog-512 MB/s vs the OpenSSL GOST engine', options: 'BENCH_GOST_SECONDS=3' },
  'issuance-api': { summary: 'certificates/s through the CA API (RSA-4096 CA) at 1/4/16/32 concurrent vs openssl speed rsa4096', postgres: 'default', options: '--backend postgres|pglite --seconds 8 --levels 1,4,16,32 --people 64' },
  ocsp: { summary: 'OCSP responses/s and p50/p99 under wrk: ours (1 and N workers) vs openssl ocsp -index -port (same key) and nginx serving the same pre-signed DER', postgres: 'default', options: '--backend postgres|pglite --seconds 10 --connections 16 --workers 1,2' },
  'pki-issuance': { summary: 'certificates/s by @qoltanba/pki (lint included) vs openssl x509 -req over the same CSRs, and openssl speed rsa4096', options: 'BENCH_ISSUE_COUNT=200' },
  reissue: { summary: 'server-side cost of one portal re-issuance and re-issuances/s at 1/4/8 concurrent vs openssl speed rsa4096', postgres: 'always', options: '--people 500 --seconds 5 --levels 1,4,8 --bits 4096' },
  tsa: { summary: 'time-stamps/s and p99 from wrk at 1/8/32 connections vs the TSA key\'s signing ceiling (openssl speed, 2 cores) and openssl ts -reply over the same queries', options: '--seconds 10 --levels 1,8,32 --bits 3072' },
  verify: { summary: 'CMS signatures verified/s with chain and revocation (OCSP + CRL), RSA-2048 and GOST-2015-512 signers, vs OpenSSL CMS_verify in C, openssl cms -verify and the raw verify ceilings', options: 'BENCH_VERIFY_SECONDS=3' },
  reminders: { summary: 'due-reminder scans over 1 M / 10 M certificates with the query plan; reminder SMS/s through the outbox vs a bare gateway at SMPP windows 1/10/50', postgres: 'always', options: 'BENCH_REMINDER_SIZES=1000000,10000000 BENCH_REMINDER_SMS=5000 BENCH_REMINDER_SMS_WINDOWS=1,10,50' },
};

const dir = import.meta.dirname;
const args = process.argv.slice(2);
// Names come first; from the first option on, everything belongs to the benches (they read process.argv).
const firstOption = args.findIndex((a) => a.startsWith('-'));
const wanted = firstOption === -1 ? args : args.slice(0, firstOption);
const options = firstOption === -1 ? [] : args.slice(firstOption);
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .sort();
const undocumented = all.filter((n) => !BENCHES[n]);
if (undocumented.length) {
  console.error(`bench/run.ts: describe ${undocumented.join(', ')} in BENCHES (and in bench/README.md)`);
  process.exit(2);
}

if (options.includes('--help') || options.includes('-h')) {
  const width = Math.max(...all.map((n) => n.length));
  console.log(`Usage: npm run bench -- [name…] [options]

Runs the named benchmarks (default: all), each printing ours beside a baseline measured in the same run.
Options after the names go to the benchmarks; environment variables as shown. Details: bench/README.md.

${all.map((n) => `  ${n.padEnd(width)}  ${BENCHES[n]!.summary}${BENCHES[n]!.postgres ? ' [PostgreSQL]' : ''}\n  ${''.padEnd(width)}  ${BENCHES[n]!.options ?? ''}`).join('\n')}

[PostgreSQL]: on 127.0.0.1:5432 as postgres (PGHOST/PGPORT/PGUSER override), started or installed first by
scripts/ensure-postgres.sh as the test command does; each run creates and drops its own databases.

Examples:
  $ npm run bench -- pki-issuance gost
  $ npm run bench -- ocsp --backend pglite --seconds 5
  $ BENCH_REMINDER_SIZES=100000 npm run bench -- reminders`);
  process.exit(0);
}

const chosen = wanted.length ? wanted : all;
const unknown = chosen.filter((n) => !all.includes(n));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${all.join(', ')} (npm run bench -- --help)`);
  process.exit(2);
}
const pglite = options.join(' ').includes('--backend pglite');
if (chosen.some((n) => BENCHES[n]!.postgres === 'always' || (BENCHES[n]!.postgres === 'default' && !pglite))) {
  const ensured = spawnSync('bash', [join(dir, '..', 'scripts', 'ensure-postgres.sh')], { stdio: 'inherit' });
  if (ensured.status !== 0) process.exit(ensured.status ?? 1);
}
console.log(`# Qoltanba benchmarks — ${new Date().toISOString()}\n\nNode ${process.version}, ${opensslVersion()}`);
for (const name of chosen) {
  const mod = (await import(join(dir, `${name}.ts`))) as { run?: () => Promise<void> };
  if (typeof mod.run !== 'function') throw new Error(`bench/${name}.ts exports no run()`);
  await mod.run();
}
