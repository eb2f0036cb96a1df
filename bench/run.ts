/**
 * `npm run bench` runs every bench/*.ts (except this file), or those named: `npm run bench -- issuance ocsp`.
 * Each prints its own table, ours beside an OpenSSL baseline measured in the same run.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { opensslVersion } from './lib/openssl.ts';

const dir = import.meta.dirname;
const wanted = process.argv.slice(2);
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .sort();
const chosen = wanted.length ? wanted : all;
const unknown = chosen.filter((n) => !all.includes(n));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${all.join(', ')}`);
  process.exit(2);
}
console.log(`# Qoltanba benchmarks — ${new Date().toISOString()}\n\nNode ${process.version}, ${opensslVersion()}`);
for (const name of chosen) {
  const mod = (await import(join(dir, `${name}.ts`))) as { run?: () => Promise<void> };
  if (typeof mod.run !== 'function') throw new Error(`bench/${name}.ts exports no run()`);
  await mod.run();
}
