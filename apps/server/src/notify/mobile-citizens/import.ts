/**
 * `registry import`: the mobile-citizens registry's CSV into mobile_registry, in two passes over the file.
 *
 * Pass 1 reads and checks every row (CSV shape, IIN check digit, Kazakhstan mobile number, verified flag,
 * date, duplicates, and that we know the person — a certificate holder or someone in the population registry)
 * and writes nothing. A file with any bad row is refused whole, with every bad row named (line, field, code) —
 * unless the operator asks for `skipInvalid`, and then the report still names each skipped row. Pass 2 re-reads the same file (its SHA-256 must not have changed)
 * and upserts the good rows in short transactions, so the embedded database's one connection is never held
 * for long. A crash in pass 2 leaves only correct rows of the file; running the same import again completes
 * it. With `replace`, entries the file does not contain are deleted — only after a complete pass 2.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { sql, type Kysely } from 'kysely';
import { isValidIin, QtError, type QtErrorCode } from '@qoltanba/pki';
import { appendAudit } from '../../audit/index.ts';
import type { Database } from '../../store/schema.ts';
import { normalizeKzPhone } from '../phone.ts';
import { readCsvTable } from '../../csv/read.ts';
import { populationDb } from '../../population/tables.ts';

export interface MobileCitizensImportOptions {
  /** A label stored with each entry and in the audit log (default: the file name). */
  readonly source?: string;
  /** Import the good rows of a file that has bad ones (each bad row is still reported). */
  readonly skipInvalid?: boolean;
  /** Accept IINs of people we have no record of (e.g. loading the whole registry ahead of applications). */
  readonly allowUnknownIin?: boolean;
  /** Accept NCA test IINs, which fail the check digit (DESIGN §4). */
  readonly testIins?: boolean;
  /** Delete the entries this file does not contain, after everything in it was written. */
  readonly replace?: boolean;
  /** Check only; write nothing. */
  readonly dryRun?: boolean;
  /** Who runs it, for the audit log. */
  readonly actor?: string;
  readonly batchSize?: number;
  readonly onProgress?: (p: { phase: 'check' | 'write'; rows: number; bytes: number; totalBytes: number }) => void;
}

export interface MobileCitizensRowProblem {
  readonly line: number;
  readonly code: QtErrorCode;
  readonly field?: string;
  readonly message: string;
}

export interface MobileCitizensImportReport {
  readonly file: string;
  readonly sha256: string;
  readonly importId: string | undefined;
  readonly rows: number;
  readonly valid: number;
  readonly invalid: number;
  readonly written: number;
  readonly deleted: number;
  readonly problems: readonly MobileCitizensRowProblem[];
  readonly dryRun: boolean;
}

interface Entry {
  line: number;
  iin: string;
  phone: string;
  verified: boolean;
  verifiedOn: string | null;
}

const HEADER_NAMES: Record<string, 'iin' | 'phone' | 'verified' | 'verified_on'> = {
  iin: 'iin', 'иин': 'iin', 'жсн': 'iin',
  phone: 'phone', msisdn: 'phone', 'телефон': 'phone',
  verified: 'verified', 'подтвержден': 'verified',
  verified_on: 'verified_on', date: 'verified_on', 'дата': 'verified_on',
};
const TRUE = new Set(['1', 'true', 'yes', 'y', 'да', 'иә']);
const FALSE = new Set(['0', 'false', 'no', 'n', 'нет', 'жоқ', '']);

export async function importMobileCitizensCsv(db: Kysely<Database>, file: string, options: MobileCitizensImportOptions = {}): Promise<MobileCitizensImportReport> {
  const batchSize = options.batchSize ?? 2000;
  const checked = await checkFile(db, file, options, batchSize);
  const problems = checked.problems;
  const base = { file, sha256: checked.sha256, rows: checked.rows, valid: checked.valid, invalid: checked.invalidLines.size, problems, dryRun: Boolean(options.dryRun) };
  if (options.dryRun) return { ...base, importId: undefined, written: 0, deleted: 0 };
  if (problems.length > 0 && !options.skipInvalid) {
    throw new QtError('QT_ERR_REGISTRY_IMPORT_REJECTED', `${file}: ${checked.invalidLines.size} of ${checked.rows} rows are invalid; nothing was imported (fix them, or pass --skip-invalid to import the ${checked.valid} good rows)`, {
      invalid: checked.invalidLines.size,
      rows: checked.rows,
      problems: problems.slice(0, 1000).map((p) => ({ ...p })),
    });
  }
  const importId = randomUUID();
  const source = options.source ?? file.split('/').pop()!;
  let written = 0;
  const hash = createHash('sha256');
  const batch: Entry[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await upsert(db, batch.splice(0), source, importId);
  };
  for await (const item of entries(file, checked.totalBytes, hash, options, 'write')) {
    if (!item.entry || checked.invalidLines.has(item.entry.line)) continue;
    batch.push(item.entry);
    written++;
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  if (hash.digest('hex') !== checked.sha256) {
    // Rows already written are rows of some version of the file; say so rather than pretend otherwise.
    throw new QtError('QT_ERR_REGISTRY_IMPORT_REJECTED', `${file} changed while it was being imported; ${written} rows were written from the changed file — run the import again`, { written });
  }
  let deleted = 0;
  await db.transaction().execute(async (trx) => {
    if (options.replace) {
      const r = await trx.deleteFrom('mobile_registry').where('import_id', '<>', importId).executeTakeFirst();
      deleted = Number(r.numDeletedRows);
    }
    await appendAudit(trx, {
      actor: options.actor ?? 'operator',
      action: 'registry.imported',
      target: source,
      details: { file: source, sha256: checked.sha256, importId, rows: checked.rows, written, invalid: checked.invalidLines.size, deleted, replace: Boolean(options.replace) },
    });
  });
  return { ...base, importId, written, deleted };
}

interface Checked {
  sha256: string;
  totalBytes: number;
  rows: number;
  valid: number;
  problems: MobileCitizensRowProblem[];
  invalidLines: Set<number>;
}

async function checkFile(db: Kysely<Database>, file: string, options: MobileCitizensImportOptions, batchSize: number): Promise<Checked> {
  let totalBytes: number;
  try {
    totalBytes = (await stat(file)).size;
  } catch (e) {
    throw new QtError('QT_ERR_INPUT_INVALID', `The registry file ${file} cannot be read: ${(e as Error).message}`, { file });
  }
  const hash = createHash('sha256');
  const problems: MobileCitizensRowProblem[] = [];
  const invalidLines = new Set<number>();
  const firstLineOf = new Map<string, number>();
  let rows = 0;
  let pending: Entry[] = [];
  const checkKnown = async () => {
    if (options.allowUnknownIin || pending.length === 0) return;
    // Known: a holder of certificates here, or a person of the population registry — first-time applicants
    // have no certificate yet, and remote issuance sends their one-time code to the number imported here.
    const iins = pending.map((e) => e.iin);
    const known = new Set(
      (
        await db
          .selectFrom('subjects')
          .select('iin')
          .where('iin', 'in', iins)
          .union(populationDb(db).selectFrom('population_persons').select('iin').where('iin', 'in', iins))
          .execute()
      ).map((r) => r.iin),
    );
    for (const e of pending) {
      if (!known.has(e.iin)) {
        problems.push({ line: e.line, code: 'QT_ERR_REGISTRY_IIN_UNKNOWN', field: 'iin', message: `no person with IIN ${e.iin} is known here: neither a certificate holder nor in the population registry (pass --allow-unknown-iin to import such rows)` });
        invalidLines.add(e.line);
      }
    }
    pending = [];
  };
  for await (const item of entries(file, totalBytes, hash, options, 'check')) {
    rows++;
    if (item.problem) {
      problems.push(item.problem);
      invalidLines.add(item.problem.line);
      continue;
    }
    const e = item.entry!;
    const first = firstLineOf.get(e.iin);
    if (first !== undefined) {
      problems.push({ line: e.line, code: 'QT_ERR_REGISTRY_ROW_INVALID', field: 'iin', message: `IIN ${e.iin} already appears on line ${first}` });
      invalidLines.add(e.line);
      continue;
    }
    firstLineOf.set(e.iin, e.line);
    pending.push(e);
    if (pending.length >= batchSize) await checkKnown();
  }
  await checkKnown();
  problems.sort((a, b) => a.line - b.line);
  return { sha256: hash.digest('hex'), totalBytes, rows, valid: rows - invalidLines.size, problems, invalidLines };
}

type Item = { entry: Entry; problem?: undefined } | { entry?: undefined; problem: MobileCitizensRowProblem };

/** The file's data rows as checked entries or problems; feeds every byte to `hash`. */
async function* entries(file: string, totalBytes: number, hash: ReturnType<typeof createHash>, options: MobileCitizensImportOptions, phase: 'check' | 'write'): AsyncGenerator<Item> {
  const stream = createReadStream(file);
  let bytes = 0;
  stream.on('data', (chunk) => {
    hash.update(chunk as Buffer);
    bytes += chunk.length;
  });
  let n = 0;
  for await (const row of readCsvTable(stream, { file, header: HEADER_NAMES, required: ['iin', 'phone', 'verified'], optional: ['verified_on'] })) {
    if (++n % 5000 === 0) options.onProgress?.({ phase, rows: n, bytes, totalBytes });
    if (row.problem !== undefined) {
      yield { problem: { line: row.line, code: 'QT_ERR_REGISTRY_ROW_INVALID', message: row.problem } };
      continue;
    }
    yield checkRow(row.line, row.fields, row.columns, options);
  }
  options.onProgress?.({ phase, rows: n, bytes: totalBytes, totalBytes });
}

function checkRow(line: number, f: string[], c: Partial<Record<'iin' | 'phone' | 'verified' | 'verified_on', number>>, options: MobileCitizensImportOptions): Item {
  const bad = (code: QtErrorCode, field: string | undefined, message: string): Item => ({ problem: { line, code, ...(field && { field }), message } });
  const iin = f[c.iin!]!;
  if (!/^\d{12}$/.test(iin)) return bad('QT_ERR_IIN_INVALID', 'iin', `"${iin.slice(0, 20)}" is not 12 digits`);
  if (!isValidIin(iin, { testMode: Boolean(options.testIins) })) return bad('QT_ERR_IIN_INVALID', 'iin', `${iin} fails the IIN check digit`);
  let phone: string;
  try {
    phone = normalizeKzPhone(f[c.phone!]!);
  } catch {
    return bad('QT_ERR_PHONE_INVALID', 'phone', 'not a Kazakhstan mobile number (+7 70x or 74x–78x)');
  }
  const flag = f[c.verified!]!.trim().toLowerCase();
  if (!TRUE.has(flag) && !FALSE.has(flag)) return bad('QT_ERR_REGISTRY_ROW_INVALID', 'verified', `"${flag.slice(0, 20)}" is not a yes/no value (1/0, true/false, да/нет)`);
  let verifiedOn: string | null = null;
  const dateText = c.verified_on === undefined ? '' : f[c.verified_on]!.trim();
  if (dateText) {
    verifiedOn = parseDay(dateText);
    if (!verifiedOn) return bad('QT_ERR_REGISTRY_ROW_INVALID', 'verified_on', `"${dateText.slice(0, 20)}" is not a date (YYYY-MM-DD or DD.MM.YYYY)`);
  }
  return { entry: { line, iin, phone, verified: TRUE.has(flag), verifiedOn } };
}

function parseDay(text: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text) ?? /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(text);
  if (!m) return null;
  const [y, mo, d] = text.includes('-') ? [m[1], m[2], m[3]] : [m[3], m[2], m[1]];
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (date.getUTCFullYear() !== Number(y) || date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d)) return null;
  return `${y}-${mo}-${d}`;
}

async function upsert(db: Kysely<Database>, batch: Entry[], source: string, importId: string): Promise<void> {
  await db
    .insertInto('mobile_registry')
    .values(batch.map((e) => ({ iin: e.iin, phone: e.phone, verified: e.verified, verified_on: e.verifiedOn, source, import_id: importId })))
    .onConflict((oc) =>
      oc.column('iin').doUpdateSet({
        phone: (eb) => eb.ref('excluded.phone'),
        verified: (eb) => eb.ref('excluded.verified'),
        verified_on: (eb) => eb.ref('excluded.verified_on'),
        source: (eb) => eb.ref('excluded.source'),
        import_id: (eb) => eb.ref('excluded.import_id'),
        updated_at: sql`now()`,
      }),
    )
    .execute();
}
