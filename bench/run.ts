/**
 * `npm run bench` runs every benchmark in bench/ one after another; `npm run bench -- ocsp` runs one by
 * name. Arguments after the name go to that benchmark (e.g. `npm run bench -- crl --backend pglite`).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = import.meta.dirname;
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.d.ts'))
  .map((f) => f.slice(0, -3))
  .sort();
const [name, ...rest] = process.argv.slice(2);
const chosen = name ? all.filter((b) => b === name) : all;
if (chosen.length === 0) {
  console.error(`no benchmark named "${name}"; there are: ${all.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const bench of chosen) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, `${bench}.ts`), ...(name ? rest : [])], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
