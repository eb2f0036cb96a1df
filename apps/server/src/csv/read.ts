/**
 * Registry CSV files (the mobile-citizens registry, ../notify/mobile-citizens/import.ts; the population registry,
 * ../population/import.ts) as records, each with the line it starts on, or as an error naming that line — never giving up on the
 * whole file because of one bad row, so an operator sees every bad row at once.
 *
 * The grammar — quoted fields, doubled quotes, line breaks inside quotes, trimming — is csv-parse's. What
 * csv-parse does not do is carry on after a broken record: its parser is left inside the broken row and
 * swallows the good rows after it (no CSV parser can know where the next record starts). So the cutting
 * into records is ours: a record ends at the first line end where its quotes are closed, a broken one costs
 * only its own lines, and csv-parse is started afresh after it. Also ours: ';' as the delimiter when the
 * header line has more ';' than ',' outside quotes (Excel's exports in our locales), a UTF-8 BOM dropped,
 * CRLF and LF both ending rows, and a bound on a record's size (a quote never closed must not pull the rest
 * of the file into one record). readline holds one physical line whole, as it did before csv-parse.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { CsvError, parse, type Options, type Parser } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { QtError } from '@qoltanba/pki';

export type CsvRecord =
  | { readonly line: number; readonly fields: string[]; readonly error?: undefined }
  | { readonly line: number; readonly fields?: undefined; readonly error: string };

/** Records of `input`; the delimiter is ';' if the first line has more ';' than ',' outside quotes. */
export async function* readCsv(input: Readable, options: { maxRecordChars?: number } = {}): AsyncGenerator<CsvRecord> {
  const maxChars = options.maxRecordChars ?? 10_000;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let records: Records | undefined;
  let lineNo = 0;
  let open: { start: number; text: string; quotes: number } | undefined;
  for await (const raw of lines) {
    lineNo++;
    const line = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    records ??= new Records(guessDelimiter(line));
    if (!open && line.trim() === '') continue; // blank lines carry nothing
    const quotes = line.split('"').length - 1;
    open = open ? { start: open.start, text: `${open.text}\n${line}`, quotes: open.quotes + quotes } : { start: lineNo, text: line, quotes };
    const closed = open.quotes % 2 === 0;
    const broken = closed ? undefined : brokenOpenRecord(open.text, records.delimiter);
    if (broken) {
      records.refuse(open.start, broken);
    } else if (open.text.length > maxChars) {
      records.refuse(open.start, closed ? `the record on line ${open.start} is longer than ${maxChars} characters` : `a quoted field opened on line ${open.start} is still open after ${maxChars} characters`);
    } else if (closed) {
      records.parse(open.start, open.text);
    } else continue;
    open = undefined;
    yield* records.take();
  }
  if (!records) return;
  if (open) records.refuse(open.start, `a quoted field opened on line ${open.start} is never closed`);
  await records.end();
  yield* records.take();
}

const GRAMMAR = (delimiter: ',' | ';'): Options => ({
  delimiter,
  relax_column_count: true, // the importers name a row with the wrong number of fields themselves
  ltrim: true,
  rtrim: true,
});

/**
 * Why a record whose quotes are not all closed is broken already (a quote inside an unquoted field, text
 * after a closing quote), or undefined while it may still be a quoted field going on on the next line.
 * Only lines with an odd number of quotes come here, so the cost of a parser per call stays off the rows
 * of a clean file.
 */
function brokenOpenRecord(text: string, delimiter: ',' | ';'): string | undefined {
  try {
    parseSync(text, GRAMMAR(delimiter));
  } catch (err) {
    if (err instanceof CsvError && err.code === 'CSV_QUOTE_NOT_CLOSED') return undefined;
    return describe(err as Error);
  }
  return undefined;
}

function guessDelimiter(header: string): ',' | ';' {
  const outside = header.replace(/"[^"]*"/g, '');
  return (outside.match(/;/g)?.length ?? 0) > (outside.match(/,/g)?.length ?? 0) ? ';' : ',';
}

interface Pending {
  readonly line: number;
  readonly text?: string;
  result?: CsvRecord;
}

/**
 * The records in file order. csv-parse answers a record only once it has seen what follows it, so the
 * records given to it wait here until it has; after an error its parser is dropped and the records written
 * after the broken one are written again to a fresh one.
 */
class Records {
  private readonly queue: Pending[] = [];
  /** queue[written] is the next record to write to the parser; queue[answered] the next it will answer. */
  private written = 0;
  private answered = 0;
  private parser: Parser;
  private broken = false;

  constructor(readonly delimiter: ',' | ';') {
    this.parser = this.fresh();
  }

  parse(line: number, text: string): void {
    this.queue.push({ line, text });
    this.write();
  }

  /** An error found while cutting records (never closed, too long), in its place among the records. */
  refuse(line: number, error: string): void {
    this.queue.push({ line, result: { line, error } });
  }

  /** The records answered so far, in order. */
  *take(): Generator<CsvRecord> {
    while (this.queue[0]?.result) {
      yield this.queue.shift()!.result!;
      this.written = Math.max(0, this.written - 1);
      this.answered = Math.max(0, this.answered - 1);
    }
  }

  async end(): Promise<void> {
    for (;;) {
      const parser = this.parser;
      await new Promise<void>((resolve) => {
        parser.once('finish', resolve);
        parser.once('close', resolve);
        parser.end();
      });
      if (!this.broken) return;
      this.restart();
      this.write();
    }
  }

  private fresh(): Parser {
    const parser: Parser = parse({
      ...GRAMMAR(this.delimiter),
      skip_records_with_error: true,
      on_record: (fields: string[]) => {
        if (parser === this.parser && !this.broken) this.answer({ fields });
        return null; // taken here; nothing is queued on the stream
      },
      on_skip: (err) => this.fail(parser, err),
    });
    parser.on('error', (err) => this.fail(parser, err));
    return parser;
  }

  private fail(parser: Parser, err: Error | undefined): undefined {
    if (parser !== this.parser || this.broken) return undefined;
    this.answer({ error: describe(err) });
    this.broken = true;
    return undefined;
  }

  private answer(result: { fields: string[] } | { error: string }): void {
    while (this.queue[this.answered]?.result) this.answered++;
    const pending = this.queue[this.answered++];
    if (pending) pending.result = { line: pending.line, ...result } as CsvRecord;
  }

  private write(): void {
    while (this.written < this.queue.length) {
      const pending = this.queue[this.written++]!;
      if (pending.result || pending.text === undefined) continue;
      this.parser.write(`${pending.text}\n`);
      if (this.broken) this.restart();
    }
  }

  /** A fresh parser, given again every record written after the broken one. */
  private restart(): void {
    this.parser.destroy();
    this.parser = this.fresh();
    this.broken = false;
    while (this.queue[this.answered]?.result) this.answered++;
    this.written = this.answered;
  }
}

/** csv-parse's reason in the words the importers' reports use (field numbers from 1). */
function describe(err: Error | undefined): string {
  if (!(err instanceof CsvError)) return err?.message ?? 'unreadable record';
  const field = typeof err.column === 'number' ? err.column + 1 : undefined;
  if (err.code === 'CSV_INVALID_CLOSING_QUOTE') return `unexpected text after a closing quote in field ${field}`;
  if (err.code === 'INVALID_OPENING_QUOTE') return `a quote inside the unquoted field ${field}`;
  return err.message;
}

export type CsvTableRow<K extends string> =
  | { readonly line: number; readonly fields: string[]; readonly columns: Readonly<Partial<Record<K, number>>>; readonly problem?: undefined }
  | { readonly line: number; readonly fields?: undefined; readonly columns?: undefined; readonly problem: string };

export interface CsvTableSpec<K extends string> {
  /** The file's name, for the messages. */
  file: string;
  /** Header names (lower case) to columns; a column the header does not name is ignored. */
  header: Readonly<Record<string, K>>;
  required: readonly K[];
  /** Named in the message only. */
  optional: readonly K[];
}

/**
 * The data rows of a registry export whose first row names the columns (case-insensitive, in any order). A
 * malformed header or a required column missing refuses the whole file (QT_ERR_REGISTRY_ROW_INVALID, thrown);
 * a broken row, or one with another number of fields than the header, is a problem on its line and reading
 * goes on, so the caller can name every bad row at once.
 */
export async function* readCsvTable<K extends string>(input: Readable, spec: CsvTableSpec<K>): AsyncGenerator<CsvTableRow<K>> {
  let columns: Partial<Record<K, number>> | undefined;
  let width = 0;
  for await (const record of readCsv(input)) {
    if (!columns) {
      if (record.error !== undefined) throw new QtError('QT_ERR_REGISTRY_ROW_INVALID', `${spec.file} line ${record.line}: the header row is malformed: ${record.error}`, { line: record.line });
      const named: Partial<Record<K, number>> = {};
      width = record.fields.length;
      record.fields.forEach((name, i) => {
        const key = spec.header[name.trim().toLowerCase()];
        if (key) named[key] = i;
      });
      const missing = spec.required.filter((k) => named[k] === undefined);
      if (missing.length) {
        const optional = spec.optional.length ? ` (and optionally ${spec.optional.join(', ')})` : '';
        throw new QtError('QT_ERR_REGISTRY_ROW_INVALID', `${spec.file}: the header row must name the columns ${spec.required.join(', ')}${optional}; missing: ${missing.join(', ')}`, { line: record.line, missing });
      }
      columns = named;
      continue;
    }
    if (record.error !== undefined) yield { line: record.line, problem: record.error };
    else if (record.fields.length !== width) yield { line: record.line, problem: `expected ${width} fields as in the header, found ${record.fields.length}` };
    else yield { line: record.line, fields: record.fields, columns };
  }
}
