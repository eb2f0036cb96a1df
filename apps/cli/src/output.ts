/** Prints a command's result either for people (aligned "label: value" lines) or as one JSON document. */
import type { CliContext } from './context.ts';

export type Row = [label: string, value: string | number | boolean | null | undefined];

export function printResult(ctx: CliContext, json: unknown, human: string | Row[]): void {
  if (ctx.json) {
    ctx.out.write(JSON.stringify(json, jsonReplacer, 2) + '\n');
    return;
  }
  ctx.out.write(typeof human === 'string' ? ensureNewline(human) : formatRows(human));
}

export function formatRows(rows: Row[]): string {
  const shown = rows.filter(([, v]) => v !== undefined && v !== null && v !== '');
  const width = Math.max(0, ...shown.map(([l]) => l.length));
  return shown.map(([l, v]) => `${(l + ':').padEnd(width + 1)} ${String(v)}\n`).join('');
}

function ensureNewline(s: string): string {
  return s.endsWith('\n') ? s : s + '\n';
}

/** Dates as ISO strings, bigints as decimal strings, bytes as hex — JSON cannot carry them natively. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return value;
}
