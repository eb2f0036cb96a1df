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
 * The passes are `csv/two-pass.ts`, shared with `registry import`; the rows' rules, the photos and the writing are here.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { isQtError, parseIin, QtError, type QtErrorCode } from '@qoltanba/pki';
import { appendAudit } from '../audit/index.ts';
import { checkCsvFile, goodRows, parseDay, refuseInvalid, type CheckedRow, type RowProblem, type TwoPassSpec } from '../csv/two-pass.ts';
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

export type PopulationRowProblem = RowProblem;

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

export async function importPopulationCsv(db: Kysely<Database>, file: string, options: PopulationImportOptions = {}): Promise<PopulationImportReport> {
  let folder: string;
  try {
    folder = await realpath(dirname(resolve(file)));
  } catch (e) {
    throw new QtError('QT_ERR_INPUT_INVALID', `The population file ${file} cannot be read: ${(e as Error).message}`, { file });
  }
  // Pass 1 also checks each named photo and keeps its hash, to compare when pass 2 reads it again.
  const photos = new Map<number, Photo>();
  const spec: TwoPassSpec<Column, Entry> = {
    file,
    label: 'population',
    columns: { header: HEADER, required: REQUIRED, optional: ['patronymic', 'photo'] },
    checkRow: (line, fields, columns) => checkRow(line, fields, columns, options),
    checkBatch: async (entries) => {
      const problems: RowProblem[] = [];
      for (const e of entries) {
        if (!e.photo) continue;
        try {
          photos.set(e.line, await checkPhoto(folder, e.photo));
        } catch (err) {
          if (!isQtError(err)) throw err;
          problems.push({ line: e.line, code: err.code, field: 'photo', message: err.message });
        }
      }
      return problems;
    },
  };
  const checked = await checkCsvFile(spec);
  const base = { file, sha256: checked.sha256, rows: checked.rows, valid: checked.valid, invalid: checked.invalidLines.size, problems: checked.problems, dryRun: Boolean(options.dryRun) };
  if (options.dryRun) return { ...base, importId: undefined, written: 0, withPhoto: 0 };
  refuseInvalid(file, checked, options);

  // Pass 2: good rows only, photos re-read and compared with pass 1, in batches bounded by photo bytes.
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
  for await (const entry of goodRows(spec, checked)) {
    const photo = photos.get(entry.line);
    let data: Buffer | null = null;
    if (photo) {
      data = await readFile(photo.path);
      if (createHash('sha256').update(data).digest('hex') !== photo.sha256) {
        throw new QtError('QT_ERR_REGISTRY_IMPORT_REJECTED', `${photo.path} changed while the file was being imported; ${written} rows were written — run the import again`, { written });
      }
      withPhoto++;
    }
    batch.push({ entry, photo: data, photoType: photo?.mediaType ?? null });
    bytes += data?.length ?? 0;
    written++;
    if (bytes >= batchBytes || batch.length >= 500) await flush();
  }
  await flush();
  await appendAudit(db, {
    actor: options.actor ?? 'operator',
    action: 'population.imported',
    target: source,
    details: { file: source, sha256: checked.sha256, importId, rows: checked.rows, written, withPhoto, invalid: checked.invalidLines.size },
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

function checkRow(line: number, f: string[], c: Readonly<Partial<Record<Column, number>>>, options: PopulationImportOptions): CheckedRow<Entry> {
  const bad = (code: QtErrorCode, field: string | undefined, message: string): CheckedRow<Entry> => ({ problem: { line, code, ...(field && { field }), message } });
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
