/**
 * The procedure both registry importers follow (`registry import`, `population import`), so a country-sized
 * file is checked whole before anything is written and written without holding it in memory:
 *
 *  pass 1 (`checkCsvFile`) reads every row, checks it (the importer's `checkRow`, then its `checkBatch` for
 *  what needs the database or the disk), refuses a second row for the same IIN, hashes every byte, and writes
 *  nothing; `refuseInvalid` then refuses the file whole, every bad row named, unless the operator asked to
 *  skip them;
 *  pass 2 (`goodRows`) reads the same file again and yields only the rows pass 1 found good, and at its end
 *  refuses if the file's SHA-256 is not the one pass 1 saw — rows already written are rows of some version
 *  of the file, and the message says how many.
 * Only line numbers and the IIN set are held between the passes.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { QtError, type QtErrorCode } from '@qoltanba/pki';
import { readCsvTable, type CsvTableSpec } from './read.ts';

export interface RowProblem {
  readonly line: number;
  readonly code: QtErrorCode;
  readonly field?: string;
  readonly message: string;
}

export type CheckedRow<E> = { entry: E; problem?: undefined } | { entry?: undefined; problem: RowProblem };

export interface ImportProgress {
  phase: 'check' | 'write';
  rows: number;
  bytes: number;
  totalBytes: number;
}

export interface TwoPassSpec<K extends string, E extends { line: number; iin: string }> {
  /** The file, and what it is in messages ("The population file … cannot be read"). */
  file: string;
  label: string;
  columns: Omit<CsvTableSpec<K>, 'file'>;
  /** One row's own checks: an entry, or the problem on its line. */
  checkRow(line: number, fields: string[], columns: Readonly<Partial<Record<K, number>>>): CheckedRow<E>;
  /** Pass 1's checks over up to `batchSize` rows that passed their own (the database, the disk): their problems. */
  checkBatch?(entries: readonly E[]): Promise<readonly RowProblem[]>;
  batchSize?: number;
  onProgress?(p: ImportProgress): void;
}

export interface CheckedFile {
  readonly sha256: string;
  readonly totalBytes: number;
  readonly rows: number;
  readonly valid: number;
  /** Sorted by line. */
  readonly problems: readonly RowProblem[];
  readonly invalidLines: ReadonlySet<number>;
}

/** Pass 1: every row checked, every problem named, nothing written. */
export async function checkCsvFile<K extends string, E extends { line: number; iin: string }>(spec: TwoPassSpec<K, E>): Promise<CheckedFile> {
  let totalBytes: number;
  try {
    totalBytes = (await stat(spec.file)).size;
  } catch (e) {
    throw new QtError('QT_ERR_INPUT_INVALID', `The ${spec.label} file ${spec.file} cannot be read: ${(e as Error).message}`, { file: spec.file });
  }
  const batchSize = spec.batchSize ?? 2000;
  const hash = createHash('sha256');
  const problems: RowProblem[] = [];
  const invalidLines = new Set<number>();
  const refuse = (p: RowProblem) => {
    problems.push(p);
    invalidLines.add(p.line);
  };
  const firstLineOf = new Map<string, number>();
  let rows = 0;
  let pending: E[] = [];
  const checkPending = async () => {
    if (spec.checkBatch && pending.length > 0) for (const p of await spec.checkBatch(pending)) refuse(p);
    pending = [];
  };
  for await (const item of checkedRows(spec, totalBytes, hash, 'check')) {
    rows++;
    if (item.problem) {
      refuse(item.problem);
      continue;
    }
    const e = item.entry;
    const first = firstLineOf.get(e.iin);
    if (first !== undefined) {
      refuse({ line: e.line, code: 'QT_ERR_REGISTRY_ROW_INVALID', field: 'iin', message: `IIN ${e.iin} already appears on line ${first}` });
      continue;
    }
    firstLineOf.set(e.iin, e.line);
    pending.push(e);
    if (pending.length >= batchSize) await checkPending();
  }
  await checkPending();
  problems.sort((a, b) => a.line - b.line);
  return { sha256: hash.digest('hex'), totalBytes, rows, valid: rows - invalidLines.size, problems, invalidLines };
}

/** A file with bad rows is refused whole — every bad row named — unless the operator asked to skip them. */
export function refuseInvalid(file: string, checked: CheckedFile, options: { skipInvalid?: boolean | undefined }): void {
  if (checked.problems.length === 0 || options.skipInvalid) return;
  const invalid = checked.invalidLines.size;
  throw new QtError('QT_ERR_REGISTRY_IMPORT_REJECTED', `${file}: ${invalid} of ${checked.rows} rows are invalid; nothing was imported (fix them, or pass --skip-invalid to import the ${checked.valid} good rows)`, {
    invalid,
    rows: checked.rows,
    problems: checked.problems.slice(0, 1000).map((p) => ({ ...p })),
  });
}

/** Pass 2: the good rows of the same file; throws at the end if the file is not the one pass 1 checked. */
export async function* goodRows<K extends string, E extends { line: number; iin: string }>(spec: TwoPassSpec<K, E>, checked: CheckedFile): AsyncGenerator<E> {
  const hash = createHash('sha256');
  let yielded = 0;
  for await (const item of checkedRows(spec, checked.totalBytes, hash, 'write')) {
    if (!item.entry || checked.invalidLines.has(item.entry.line)) continue;
    yielded++;
    yield item.entry;
  }
  if (hash.digest('hex') !== checked.sha256) {
    throw new QtError('QT_ERR_REGISTRY_IMPORT_REJECTED', `${spec.file} changed while it was being imported; ${yielded} rows were written from the changed file — run the import again`, { written: yielded });
  }
}

/** The file's data rows as entries or problems; every byte read goes to `hash`. */
async function* checkedRows<K extends string, E extends { line: number; iin: string }>(spec: TwoPassSpec<K, E>, totalBytes: number, hash: Hash, phase: ImportProgress['phase']): AsyncGenerator<CheckedRow<E>> {
  const stream = createReadStream(spec.file);
  let bytes = 0;
  stream.on('data', (chunk) => {
    hash.update(chunk as Buffer);
    bytes += chunk.length;
  });
  let n = 0;
  for await (const row of readCsvTable(stream, { file: spec.file, ...spec.columns })) {
    if (++n % 5000 === 0) spec.onProgress?.({ phase, rows: n, bytes, totalBytes });
    if (row.problem !== undefined) yield { problem: { line: row.line, code: 'QT_ERR_REGISTRY_ROW_INVALID', message: row.problem } };
    else yield spec.checkRow(row.line, row.fields, row.columns);
  }
  spec.onProgress?.({ phase, rows: n, bytes: totalBytes, totalBytes });
}

/** YYYY-MM-DD or DD.MM.YYYY → YYYY-MM-DD, a real calendar day only. */
export function parseDay(text: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text) ?? /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = text.includes('-') ? [m[1], m[2], m[3]] : [m[3], m[2], m[1]];
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (date.getUTCFullYear() !== Number(y) || date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d)) return undefined;
  return `${y}-${mo}-${d}`;
}
