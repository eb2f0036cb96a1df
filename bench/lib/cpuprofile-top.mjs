// Summarises a V8 .cpuprofile (bench/reissue.ts --profile): self time by function, by file (packages folded),
// and total (inclusive) time of each function, so where a request's CPU goes can be read in a terminal.
//   node bench/lib/cpuprofile-top.mjs out.cpuprofile [rows=40] [filter-regexp-for-inclusive]
import { readFileSync } from 'node:fs';

const [file, rowsArg, filter] = process.argv.slice(2);
const rows = Number(rowsArg ?? 40);
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const dt = new Map();
for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + (p.timeDeltas[i + 1] ?? 0));
const total = [...dt.values()].reduce((a, b) => a + b, 0);
const short = (url) => url.replace(/^file:\/\//, '').replace(/.*node_modules\//, 'nm:').replace(/.*\/(apps|packages)\//, '$1/');
const key = (n) => `${n.callFrame.functionName || '(anon)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
const self = new Map();
const byFile = new Map();
const incl = new Map();
for (const [id, us] of dt) {
  const n = byId.get(id);
  self.set(key(n), (self.get(key(n)) ?? 0) + us);
  const f = short(n.callFrame.url).replace(/^nm:((@[^/]+\/)?[^/]+).*/, 'nm:$1') || n.callFrame.functionName;
  byFile.set(f, (byFile.get(f) ?? 0) + us);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const k = key(byId.get(cur));
    if (!seen.has(k)) { seen.add(k); incl.set(k, (incl.get(k) ?? 0) + us); }
  }
}
const show = (title, m, n, re) => {
  console.log(`\n## ${title} (total ${(total / 1000).toFixed(0)} ms)`);
  for (const [k, us] of [...m].filter(([k]) => !re || re.test(k)).sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${(us / 1000).toFixed(1).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`);
};
show('self time by function', self, rows);
show('self time by file / package', byFile, rows);
show('inclusive time', incl, rows * 2, filter ? new RegExp(filter) : /apps\/|packages\//);
