/**
 * `registry import`: the mobile-citizens registry's CSV into mobile_registry, in two passes over the file.
 *
 * Pass 1 reads and checks every row (CSV shape, IIN check digit, Kazakhstan mobile number, verified flag,
 * date, duplicates, and that we know the person — a certificate holder or someone in the population registry)
 * and writes nothing. A file with any bad row is refused whole, with every bad row named (line, field, code) —
 * unless the operator asks for `skipInvalid`, and then the report still names each skipped row. Pass 2 re-reads the same file (its SHA-256 must not have changed)
 * and upserts the good rows in short transactions, so the embedded database's one connection is never held
 * for long. A crash in pass 2 leaves only correct rows of the file; running the same import again completes
 * it. With `replace`, entries the file does not contain are deleted — only after a complete pass 2. The passes
 * are `csv/two-pass.ts`, shared with `population import`; the rows' rules and the writing are here.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { isValidIin, type QtErrorCode } from '@qoltanba/pki';
import { appendAudit } from '../../audit/index.ts';
import type { Database } from '../../store/schema.ts';
import { normalizeKzPhone } from '../phone.ts';
import { checkCsvFile, goodRows, parseDay, refuseInvalid, type CheckedRow, type ImportProgress, type RowProblem, type TwoPassSpec } from '../../csv/two-pass.ts';
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
  readonly onProgress?: (p: ImportProgress) => void;
}

export type MobileCitizensRowProblem = RowProblem;

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

type Column = 'iin' | 'phone' | 'verified' | 'verified_on';

const HEADER_NAMES: Record<string, Column> = {
  iin: 'iin', 'иин': 'iin', 'жсн': 'iin',
  phone: 'phone', msisdn: 'phone', 'телефон': 'phone',
  verified: 'verified', 'подтвержден': 'verified',
  verified_on: 'verified_on', date: 'verified_on', 'дата': 'verified_on',
};
const TRUE = new Set(['1', 'true', 'yes', 'y', 'да', 'иә']);
const FALSE = new Set(['0', 'false', 'no', 'n', 'нет', 'жоқ', '']);

export async function importMobileCitizensCsv(db: Kysely<Database>, file: string, options: MobileCitizensImportOptions = {}): Promise<MobileCitizensImportReport> {
  const batchSize = options.batchSize ?? 2000;
  const spec: TwoPassSpec<Column, Entry> = {
    file,
    label: 'registry',
    columns: { header: HEADER_NAMES, required: ['iin', 'phone', 'verified'], optional: ['verified_on'] },
    checkRow: (line, fields, columns) => checkRow(line, fields, columns, options),
    checkBatch: options.allowUnknownIin ? undefined : (entries) => unknownPeople(db, entries),
    batchSize,
    onProgress: options.onProgress,
  };
  const checked = await checkCsvFile(spec);
  const base = { file, sha256: checked.sha256, rows: checked.rows, valid: checked.valid, invalid: checked.invalidLines.size, problems: checked.problems, dryRun: Boolean(options.dryRun) };
  if (options.dryRun) return { ...base, importId: undefined, written: 0, deleted: 0 };
  refuseInvalid(file, checked, options);
  const importId = randomUUID();
  const source = options.source ?? file.split('/').pop()!;
  let written = 0;
  const batch: Entry[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await upsert(db, batch.splice(0), source, importId);
  };
  for await (const entry of goodRows(spec, checked)) {
    batch.push(entry);
    written++;
    if (batch.length >= batchSize) await flush();
  }
  await flush();
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

/**
 * Rows for people we do not know: neither a holder of certificates here nor a person of the population
 * registry — first-time applicants have no certificate yet, and remote issuance sends their one-time code to
 * the number imported here.
 */
async function unknownPeople(db: Kysely<Database>, entries: readonly Entry[]): Promise<RowProblem[]> {
  const iins = entries.map((e) => e.iin);
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
  return entries
    .filter((e) => !known.has(e.iin))
    .map((e) => ({ line: e.line, code: 'QT_ERR_REGISTRY_IIN_UNKNOWN', field: 'iin', message: `no person with IIN ${e.iin} is known here: neither a certificate holder nor in the population registry (pass --allow-unknown-iin to import such rows)` }));
}

function checkRow(line: number, f: string[], c: Readonly<Partial<Record<Column, number>>>, options: MobileCitizensImportOptions): CheckedRow<Entry> {
  const bad = (code: QtErrorCode, field: string | undefined, message: string): CheckedRow<Entry> => ({ problem: { line, code, ...(field && { field }), message } });
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
    verifiedOn = parseDay(dateText) ?? null;
    if (!verifiedOn) return bad('QT_ERR_REGISTRY_ROW_INVALID', 'verified_on', `"${dateText.slice(0, 20)}" is not a date (YYYY-MM-DD or DD.MM.YYYY)`);
  }
  return { entry: { line, iin, phone, verified: TRUE.has(flag), verifiedOn } };
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
