/** Prints benchmark results as an aligned table, ours beside the OpenSSL baseline from the same run. */
export interface BenchRow {
  what: string;
  ours?: string;
  openssl?: string;
  note?: string;
}

/** `baseline` names the column beside ours (OpenSSL unless a bench compares against something else). */
export function printTable(title: string, rows: BenchRow[], out: NodeJS.WritableStream = process.stdout, baseline = 'OpenSSL (same machine, same run)'): void {
  const header: BenchRow = { what: 'measure', ours: 'Qoltanba', openssl: baseline, note: 'note' };
  const all = [header, ...rows];
  const w = (k: keyof BenchRow) => Math.max(...all.map((r) => (r[k] ?? '').length));
  const widths = { what: w('what'), ours: w('ours'), openssl: w('openssl'), note: w('note') };
  const line = (r: BenchRow) =>
    `| ${(r.what ?? '').padEnd(widths.what)} | ${(r.ours ?? '').padStart(widths.ours)} | ${(r.openssl ?? '').padStart(widths.openssl)} | ${(r.note ?? '').padEnd(widths.note)} |`;
  out.write(`\n## ${title}\n\n`);
  out.write(line(header) + '\n');
  out.write(`|${'-'.repeat(widths.what + 2)}|${'-'.repeat(widths.ours + 1)}:|${'-'.repeat(widths.openssl + 1)}:|${'-'.repeat(widths.note + 2)}|\n`);
  for (const r of rows) out.write(line(r) + '\n');
}

export function perSecond(count: number, ms: number): string {
  return `${((count * 1000) / ms).toFixed(1)}/s`;
}

export function millis(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(1)} ms`;
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}
