/** Prints a command's result either for people (aligned "label: value" lines) or as one JSON document. */
import type { CliContext } from './context.ts';

export type Row = [label: string, value: string | number | boolean | null | undefined];

export function printResult(ctx: CliContext, json: unknown, human: string | Row[]): void {
  if (ctx.json) {
    ctx.out.write(toJson(json) + '\n');
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

/** The CLI's only way to JSON: every --json document and error goes through here, so what jsonReplacer guarantees holds for all. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, jsonReplacer, 2);
}

/**
 * Dates as ISO strings (their toJSON), bigints as decimal strings, bytes as base64 — JSON cannot carry them
 * natively. A Buffer turns itself into {type:"Buffer",data:[…]} (its toJSON runs before any replacer sees
 * it), so the original value is taken from the holder: no Buffer or Uint8Array ever reaches the output.
 */
export function jsonReplacer(this: unknown, key: string, value: unknown): unknown {
  const original = (this as Record<string, unknown>)[key];
  if (original instanceof Uint8Array) return Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64');
  if (original instanceof ArrayBuffer) return Buffer.from(original).toString('base64');
  if (typeof value === 'bigint') return value.toString();
  return value;
}
