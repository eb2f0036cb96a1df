/**
 * A streaming RFC 4180 reader that never gives up on the whole file because of one bad row: each record
 * comes out with the line it started on, or as an error naming that line (unterminated quote, text after a
 * closing quote). Registry exports come from Excel as often as from scripts, so ';' is accepted as the
 * delimiter when the header uses it, a UTF-8 BOM is dropped, and CRLF and LF both end rows.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export type CsvRecord =
  | { readonly line: number; readonly fields: string[]; readonly error?: undefined }
  | { readonly line: number; readonly fields?: undefined; readonly error: string };

/** Records of `input`; the delimiter is ';' if the first line has more ';' than ',' outside quotes. */
export async function* readCsv(input: Readable, options: { maxRecordChars?: number } = {}): AsyncGenerator<CsvRecord> {
  const maxChars = options.maxRecordChars ?? 10_000;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  let delimiter: ',' | ';' | undefined;
  let pending: { start: number; text: string } | undefined;
  for await (const raw of lines) {
    lineNo++;
    const line = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    delimiter ??= guessDelimiter(line);
    const text = pending ? `${pending.text}\n${line}` : line;
    const start = pending?.start ?? lineNo;
    const parsed = parseRecord(text, delimiter);
    if (parsed === 'open') {
      if (text.length > maxChars) {
        yield { line: start, error: `a quoted field opened on line ${start} is still open after ${maxChars} characters` };
        pending = undefined;
      } else pending = { start, text };
      continue;
    }
    pending = undefined;
    if (typeof parsed === 'string') yield { line: start, error: parsed };
    else if (!(parsed.length === 1 && parsed[0] === '')) yield { line: start, fields: parsed }; // blank lines carry nothing
  }
  if (pending) yield { line: pending.start, error: `a quoted field opened on line ${pending.start} is never closed` };
}

function guessDelimiter(header: string): ',' | ';' {
  const outside = header.replace(/"[^"]*"/g, '');
  return (outside.match(/;/g)?.length ?? 0) > (outside.match(/,/g)?.length ?? 0) ? ';' : ',';
}

/** Fields, 'open' when a quoted field continues on the next line, or an error message. */
function parseRecord(text: string, delimiter: string): string[] | 'open' | string {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) return 'open';
        const c = text[i]!;
        if (c === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += c;
        i++;
      }
      fields.push(value);
      if (i === text.length) return fields;
      if (text[i] !== delimiter) return `unexpected text after a closing quote in field ${fields.length}`;
      i++;
    } else {
      const next = text.indexOf(delimiter, i);
      const value = next < 0 ? text.slice(i) : text.slice(i, next);
      if (value.includes('"')) return `a quote inside the unquoted field ${fields.length + 1}`;
      fields.push(value.trim());
      if (next < 0) return fields;
      i = next + 1;
    }
  }
}
