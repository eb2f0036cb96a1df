/**
 * `qoltanba population import`: the population registry's export (CSV + one photo file per person) into
 * population_persons, the default adapter's table.
 *
 * Like `registry import`, two passes: pass 1 checks every row — IIN check digit and the birth date it
 * encodes, names, status, document type, number and dates, and the photo (a real JPEG or PNG under the CSV's
 * folder, at most 2 MB) — and writes nothing; a file with any bad row is refused whole with every bad row
 * named (line, field, code), unless `skipInvalid`. Pass 2 re-reads the file (its SHA-256 must not have
 * changed) and upserts the good rows in batches bounded by photo bytes, each photo read again and checked
 * against the hash taken in pass 1. Only the IIN set is held in memory, so the file may be the whole country.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { isQtError, parseIin, QtError, type QtErrorCode } from '@qoltanba/pki';
import { appendAudit } from '../audit/index.ts';
import { readCsvTable } from '../csv/read.ts';
import type { Database } from '../store/schema.ts';
import { sniffImage } from './photo.ts';
import { populationDb, type DocumentType, type PersonStatus, type PhotoType } from './tables.ts';

export interface PopulationImportOptions {
  readonly source?: string;
  readonly skipInvalid?: boolean;
  /** Accept NCA test IINs (they fail the check digit; their birth date is then not compared). */
  readonly testIins?: boolean;
  readonly dryRun?: boolean;
  readonly actor?: string;
  /** Photo bytes per write transaction (default 8 MB). */
  readonly batchBytes?: number;
}

export interface PopulationRowProblem {
  readonly line: number;
  readonly code: QtErrorCode;
  readonly field?: string;
  readonly message: string;
}

export interface PopulationImportReport {
  readonly file: string;
  readonly sha256: string;
  readonly importId: string | undefined;
  readonly rows: number;
  readonly valid: number;
  readonly invalid: number;
  readonly written: number;
  readonly withPhoto: number;
  readonly problems: readonly PopulationRowProblem[];
  readonly dryRun: boolean;
}

type Column =
  | 'iin' | 'surname' | 'name' | 'patronymic' | 'birth_date' | 'status'
  | 'document_type' | 'document_number' | 'document_issued' | 'document_expires' | 'photo';

const HEADER: Record<string, Column> = {
  iin: 'iin', 'иин': 'iin', 'жсн': 'iin',
  surname: 'surname', 'фамилия': 'surname', 'тегі': 'surname',
  name: 'name', given_name: 'name', 'имя': 'name', 'аты': 'name',
  patronymic: 'patronymic', 'отчество': 'patronymic', 'әкесінің аты': 'patronymic',
  birth_date: 'birth_date', 'дата рождения': 'birth_date',
  status: 'status', 'статус': 'status',
  document_type: 'document_type', 'тип документа': 'document_type',
  document_number: 'document_number', 'номер документа': 'document_number',
  document_issued: 'document_issued', document_issued_on: 'document_issued', 'дата выдачи': 'document_issued',
  document_expires: 'document_expires', document_expires_on: 'document_expires', 'срок действия': 'document_expires',
  photo: 'photo', 'фото': 'photo',
};
const REQUIRED: readonly Column[] = ['iin', 'surname', 'name', 'birth_date', 'status', 'document_type', 'document_number', 'document_issued', 'document_expires'];
const STATUS: Record<string, PersonStatus> = { alive: 'alive', 'жив': 'alive', deceased: 'deceased', 'умер': 'deceased', blocked: 'blocked', 'заблокирован': 'blocked' };
const DOCUMENT: Record<string, DocumentType> = { id_card: 'id_card', 'удостоверение': 'id_card', 'удостоверение личности': 'id_card', passport: 'passport', 'паспорт': 'passport' };
const MAX_PHOTO_BYTES = 2 * 1024 * 1024;

interface Entry {
  line: number;
  iin: string;
  surname: string;
  name: string;
  patronymic: string | null;
  birthDate: string;
  status: PersonStatus;
  documentType: DocumentType;
  documentNumber: string;
  issuedOn: string;
  expiresOn: string;
  photo: string | undefined;
}

interface Photo {
  path: string;
  sha256: string;
  mediaType: PhotoType;
}

type Item = { entry: Entry; problem?: undefined } | { entry?: undefined; problem: PopulationRowProblem };

export async function importPopulationCsv(db: Kysely<Database>, file: string, options: PopulationImportOptions = {}): Promise<PopulationImportReport> {
  try {
    await stat(file);
  } catch (e) {
    throw new QtError('QT_ERR_INPUT_INVALID', `The population file ${file} cannot be read: ${(e as Error).message}`, { file });
  }
  const folder = await realpath(dirname(resolve(file)));

  // Pass 1: check everything, write nothing.
  const problems: PopulationRowProblem[] = [];
  const invalid = new Set<number>();
  const firstLine = new Map<string, number>();
  const photos = new Map<number, Photo>();
  let rows = 0;
  const hash1 = createHash('sha256');
  for await (const item of items(file, hash1, options)) {
    rows++;
    if (item.problem) {
      problems.push(item.problem);
      invalid.add(item.problem.line);
      continue;
    }
    const e = item.entry;
    const first = firstLine.get(e.iin);
    if (first !== undefined) {
      problems.push({ line: e.line, code: 'QT_ERR_REGISTRY_ROW_INVALID', field: 'iin', message: `IIN ${e.iin} already appears on line ${first}` });
      invalid.add(e.line);
      continue;
    }
    firstLine.set(e.iin, e.line);
    if (e.photo) {
      try {
        photos.set(e.line, await checkPhoto(folder, e.photo));
      } catch (err) {
        if (!isQtError(err)) throw err;
        problems.push({ line: e.line, code: err.code, field: 'photo', message: err.message });
        invalid.add(e.line);
      }
    }
  }
  const sha256 = hash1.digest('hex');
  const base = { file, sha256, rows, valid: rows - invalid.size, invalid: invalid.size, problems, dryRun: Boolean(options.dryRun) };
  if (options.dryRun) return { ...base, importId: undefined, written: 0, withPhoto: 0 };
  if (problems.length > 0 && !options.skipInvalid) {
    throw new QtError('QT_ERR_REGISTRY_IMPORT_REJECTED', `${file}: ${invalid.size} of ${rows} rows are invalid; nothing was imported (fix them, or pass --skip-invalid to import the ${rows - invalid.size} good rows)`, {
      invalid: invalid.size,
      rows,
      problems: problems.slice(0, 1000).map((p) => ({ ...p })),
    });
  }

  // Pass 2: the same file again, good rows only, photos re-read and compared with pass 1.
  const importId = randomUUID();
  const source = options.source ?? file.split('/').pop()!;
  const batchBytes = options.batchBytes ?? 8 * 1024 * 1024;
  let written = 0;
  let withPhoto = 0;
  let batch: { entry: Entry; photo: Buffer | null; photoType: PhotoType | null }[] = [];
  let bytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await upsert(db, batch, source, importId);
    batch = [];
    bytes = 0;
  };
  const hash2 = createHash('sha256');
  for await (const item of items(file, hash2, options)) {
    if (!item.entry || invalid.has(item.entry.line) || firstLine.get(item.entry.iin) !== item.entry.line) continue;
    const checked = photos.get(item.entry.line);
    let data: Buffer | null = null;
    if (checked) {
      data = await readFile(checked.path);
      if (createHash('sha256').update(data).digest('hex') !== checked.sha256) {
        throw new QtError('QT_ERR_REGISTRY_IMPORT_REJECTED', `${checked.path} changed while the file was being imported; ${written} rows were written — run the import again`, { written });
      }
      withPhoto++;
    }
    batch.push({ entry: item.entry, photo: data, photoType: checked?.mediaType ?? null });
    bytes += data?.length ?? 0;
    written++;
    if (bytes >= batchBytes || batch.length >= 500) await flush();
  }
  await flush();
  if (hash2.digest('hex') !== sha256) {
    throw new QtError('QT_ERR_REGISTRY_IMPORT_REJECTED', `${file} changed while it was being imported; ${written} rows were written from the changed file — run the import again`, { written });
  }
  await appendAudit(db, {
    actor: options.actor ?? 'operator',
    action: 'population.imported',
    target: source,
    details: { file: source, sha256, importId, rows, written, withPhoto, invalid: invalid.size },
  });
  return { ...base, importId, written, withPhoto };
}

/** A photo named by the CSV: inside the CSV's folder, at most 2 MB, really a JPEG or PNG. */
async function checkPhoto(folder: string, name: string): Promise<Photo> {
  const bad = (message: string) => new QtError('QT_ERR_IMAGE_INVALID', message);
  if (isAbsolute(name)) throw bad(`the photo must be named relative to the CSV file's folder, not "${name.slice(0, 80)}"`);
  let path: string;
  try {
    path = await realpath(resolve(folder, name));
  } catch {
    throw bad(`the photo file "${name.slice(0, 80)}" does not exist`);
  }
  const rel = relative(folder, path);
  if (rel.startsWith('..') || rel.split(sep).includes('..') || isAbsolute(rel)) throw bad(`the photo "${name.slice(0, 80)}" is outside the CSV file's folder`);
  const size = (await stat(path)).size;
  if (size > MAX_PHOTO_BYTES) throw new QtError('QT_ERR_TOO_LARGE', `the photo "${name.slice(0, 80)}" is ${size} bytes; at most ${MAX_PHOTO_BYTES} are accepted`);
  const data = await readFile(path);
  const info = sniffImage(data);
  return { path, sha256: createHash('sha256').update(data).digest('hex'), mediaType: info.mediaType };
}

async function* items(file: string, hash: ReturnType<typeof createHash>, options: PopulationImportOptions): AsyncGenerator<Item> {
  const stream = createReadStream(file);
  stream.on('data', (chunk) => hash.update(chunk as Buffer));
  for await (const row of readCsvTable(stream, { file, header: HEADER, required: REQUIRED, optional: ['patronymic', 'photo'] })) {
    if (row.problem !== undefined) {
      yield { problem: { line: row.line, code: 'QT_ERR_REGISTRY_ROW_INVALID', message: row.problem } };
      continue;
    }
    yield checkRow(row.line, row.fields, row.columns, options);
  }
}

function checkRow(line: number, f: string[], c: Partial<Record<Column, number>>, options: PopulationImportOptions): Item {
  const bad = (code: QtErrorCode, field: string | undefined, message: string): Item => ({ problem: { line, code, ...(field && { field }), message } });
  const get = (k: Column) => (c[k] === undefined ? '' : f[c[k]]!.trim());
  const iin = get('iin');
  let birthFromIin: string | undefined;
  try {
    const parsed = parseIin(iin, { testMode: Boolean(options.testIins) });
    birthFromIin = parsed.test ? undefined : parsed.birthDate;
  } catch (e) {
    return bad('QT_ERR_IIN_INVALID', 'iin', isQtError(e) ? e.message : `"${iin.slice(0, 20)}" is not an IIN`);
  }
  for (const k of ['surname', 'name'] as const) {
    const v = get(k);
    if (!v || v.length > 100) return bad('QT_ERR_REGISTRY_ROW_INVALID', k, v ? 'longer than 100 characters' : 'is empty');
  }
  const patronymic = get('patronymic');
  if (patronymic.length > 100) return bad('QT_ERR_REGISTRY_ROW_INVALID', 'patronymic', 'longer than 100 characters');
  const birthDate = parseDay(get('birth_date'));
  if (!birthDate) return bad('QT_ERR_REGISTRY_ROW_INVALID', 'birth_date', `"${get('birth_date').slice(0, 20)}" is not a date (YYYY-MM-DD or DD.MM.YYYY)`);
  if (birthFromIin && birthFromIin !== birthDate) return bad('QT_ERR_REGISTRY_ROW_INVALID', 'birth_date', `${birthDate} is not the birth date the IIN encodes (${birthFromIin})`);
  const status = STATUS[get('status').toLowerCase()];
  if (!status) return bad('QT_ERR_REGISTRY_ROW_INVALID', 'status', `"${get('status').slice(0, 20)}" is not alive, deceased or blocked`);
  const documentType = DOCUMENT[get('document_type').toLowerCase()];
  if (!documentType) return bad('QT_ERR_REGISTRY_ROW_INVALID', 'document_type', `"${get('document_type').slice(0, 30)}" is not id_card or passport`);
  const documentNumber = normalizeDocumentNumber(get('document_number'));
  if (!documentNumber) return bad('QT_ERR_REGISTRY_ROW_INVALID', 'document_number', 'not 6–12 Latin letters and digits');
  const issuedOn = parseDay(get('document_issued'));
  const expiresOn = parseDay(get('document_expires'));
  if (!issuedOn) return bad('QT_ERR_REGISTRY_ROW_INVALID', 'document_issued', 'not a date (YYYY-MM-DD or DD.MM.YYYY)');
  if (!expiresOn) return bad('QT_ERR_REGISTRY_ROW_INVALID', 'document_expires', 'not a date (YYYY-MM-DD or DD.MM.YYYY)');
  if (expiresOn <= issuedOn) return bad('QT_ERR_REGISTRY_ROW_INVALID', 'document_expires', `the document expires (${expiresOn}) before it was issued (${issuedOn})`);
  if (issuedOn < birthDate) return bad('QT_ERR_REGISTRY_ROW_INVALID', 'document_issued', `the document was issued (${issuedOn}) before the person was born (${birthDate})`);
  const photo = get('photo') || undefined;
  return {
    entry: { line, iin, surname: get('surname'), name: get('name'), patronymic: patronymic || null, birthDate, status, documentType, documentNumber, issuedOn, expiresOn, photo },
  };
}

/** Upper-case Latin letters and digits, spaces and dashes dropped (how people type them); undefined if not a number. */
export function normalizeDocumentNumber(text: string): string | undefined {
  const n = text.replace(/[\s-]+/g, '').toUpperCase();
  return /^[0-9A-Z]{6,12}$/.test(n) ? n : undefined;
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

async function upsert(db: Kysely<Database>, batch: { entry: Entry; photo: Buffer | null; photoType: PhotoType | null }[], source: string, importId: string): Promise<void> {
  await populationDb(db)
    .insertInto('population_persons')
    .values(
      batch.map(({ entry: e, photo, photoType }) => ({
        iin: e.iin,
        surname: e.surname,
        given_name: e.name,
        patronymic: e.patronymic,
        birth_date: e.birthDate,
        status: e.status,
        document_type: e.documentType,
        document_number: e.documentNumber,
        document_issued_on: e.issuedOn,
        document_expires_on: e.expiresOn,
        photo,
        photo_type: photoType,
        source,
        import_id: importId,
      })),
    )
    .onConflict((oc) =>
      oc.column('iin').doUpdateSet({
        surname: (eb) => eb.ref('excluded.surname'),
        given_name: (eb) => eb.ref('excluded.given_name'),
        patronymic: (eb) => eb.ref('excluded.patronymic'),
        birth_date: (eb) => eb.ref('excluded.birth_date'),
        status: (eb) => eb.ref('excluded.status'),
        document_type: (eb) => eb.ref('excluded.document_type'),
        document_number: (eb) => eb.ref('excluded.document_number'),
        document_issued_on: (eb) => eb.ref('excluded.document_issued_on'),
        document_expires_on: (eb) => eb.ref('excluded.document_expires_on'),
        photo: (eb) => eb.ref('excluded.photo'),
        photo_type: (eb) => eb.ref('excluded.photo_type'),
        source: (eb) => eb.ref('excluded.source'),
        import_id: (eb) => eb.ref('excluded.import_id'),
        updated_at: sql`now()`,
      }),
    )
    .execute();
}
