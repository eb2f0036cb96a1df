import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isQtError } from '@qoltanba/pki';
import { readCsv, readCsvTable, type CsvRecord, type CsvTableRow } from './read.ts';

async function read(text: string | string[], options?: { maxRecordChars?: number }): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const r of readCsv(Readable.from(Array.isArray(text) ? text : [text]), options)) out.push(r);
  return out;
}

/** A field as a spreadsheet writes it: quoted when it holds a delimiter, a quote, a line break or edge spaces. */
function quote(field: string): string {
  return /[",;\n]/.test(field) || field !== field.trim() ? `"${field.replace(/"/g, '""')}"` : field;
}

describe('CSV reader (csv-parse underneath)', () => {
  test('any file a spreadsheet writes comes back field for field, each record with the line it starts on', async () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'Ә', ' ', ',', ';', '"', '\n', '7'), maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(',', ';'), fc.boolean(), fc.array(fc.array(field, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 12 }), async (delimiter, crlf, rows) => {
        const header = ['iin', 'phone', 'verified'];
        const all = [header, ...rows];
        let text = '';
        const expected: CsvRecord[] = [];
        let line = 1;
        for (const row of all) {
          const written = row.map(quote).join(delimiter);
          expected.push({ line, fields: row });
          text += written + (crlf ? '\r\n' : '\n');
          line += written.split('\n').length;
        }
        assert.deepEqual(await read(text), expected);
      }),
      { numRuns: 150 },
    );
  });

  test('broken and oversized rows mixed in at random: each is reported on its line, every other row still comes out whole', async () => {
    const good = fc.array(fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '7'), maxLength: 6 }), { minLength: 2, maxLength: 3 }).map((fields) => ({ fields }));
    const bad = fc.constantFrom(
      { text: '1,"x"y', error: 'unexpected text after a closing quote in field 2' },
      { text: '1,a"b', error: 'a quote inside the unquoted field 2' },
      { text: '"a"b,2', error: 'unexpected text after a closing quote in field 1' },
      { text: `1,${'z'.repeat(80)}`, error: 'the record on line L is longer than 60 characters' },
      { text: `1,"${'z'.repeat(30)}\n${'z'.repeat(30)}`, error: 'a quoted field opened on line L is still open after 60 characters' },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(good, bad), { minLength: 1, maxLength: 15 }), async (rows) => {
        let text = 'h1,h2\n';
        const expected: CsvRecord[] = [{ line: 1, fields: ['h1', 'h2'] }];
        let line = 2;
        for (const row of rows) {
          const written = 'fields' in row ? row.fields.map(quote).join(',') : row.text;
          expected.push('fields' in row ? { line, fields: row.fields } : { line, error: row.error.replace('line L', `line ${line}`) });
          text += `${written}\n`;
          line += written.split('\n').length;
        }
        assert.deepEqual(await read(text, { maxRecordChars: 60 }), expected);
      }),
      { numRuns: 200 },
    );
  });

  test('broken rows anywhere, also the last one and one found only when its quote closes, leave every good row in place', async () => {
    assert.deepEqual(await read('a,b\n1,"two\nlines"x\n2,ok\n3,"x"y\n4,"fine\n too",z\n5,"x"y'), [
      { line: 1, fields: ['a', 'b'] },
      { line: 2, error: 'unexpected text after a closing quote in field 2' },
      { line: 4, fields: ['2', 'ok'] },
      { line: 5, error: 'unexpected text after a closing quote in field 2' },
      { line: 6, fields: ['4', 'fine\n too', 'z'] },
      { line: 8, error: 'unexpected text after a closing quote in field 2' },
    ]);
    const many = ['h1,h2', ...Array.from({ length: 50 }, (_, i) => (i % 3 === 1 ? `${i},"x"y` : `${i},ok`))].join('\n');
    const got = await read(many);
    assert.equal(got.length, 51);
    got.slice(1).forEach((r, i) => assert.deepEqual(r, i % 3 === 1 ? { line: i + 2, error: 'unexpected text after a closing quote in field 2' } : { line: i + 2, fields: [String(i), 'ok'] }));
  });

  test('records are bounded in size: a long row and a quote left open are refused on their own line, the next rows still read', async () => {
    const long = 'x'.repeat(200);
    assert.deepEqual(await read(`a,b\n1,${long}\n2,"${long}\n3,ok\n4,ok\n`, { maxRecordChars: 100 }), [
      { line: 1, fields: ['a', 'b'] },
      { line: 2, error: 'the record on line 2 is longer than 100 characters' },
      { line: 3, error: 'a quoted field opened on line 3 is still open after 100 characters' },
      { line: 4, fields: ['3', 'ok'] },
      { line: 5, fields: ['4', 'ok'] },
    ]);
  });

  test('an empty file has no records; one split across many chunks reads as one', async () => {
    assert.deepEqual(await read(''), []);
    assert.deepEqual(await read(['\uFEFFi', 'in;ph', 'one\r', '\n1;"a', '\r\nb"\r\n']), [
      { line: 1, fields: ['iin', 'phone'] },
      { line: 2, fields: ['1', 'a\nb'] },
    ]);
  });
});

describe('CSV reader: the shapes registry exports take', () => {
  test('quoted fields with delimiters, doubled quotes and line breaks; CRLF; BOM; ";" exports from Excel', async () => {
    const records = [];
    for await (const r of readCsv(Readable.from(['\uFEFFa;b;c\r\n', '1;"x;y";"say ""hi"""\r\n', '2;"two\nlines";z\r\n', '\r\n']))) records.push(r);
    assert.deepEqual(records, [
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['1', 'x;y', 'say "hi"'] },
      { line: 3, fields: ['2', 'two\nlines', 'z'] },
    ]);
  });

  test('a broken row is reported on its own line and the rows after it still come out', async () => {
    const records = [];
    for await (const r of readCsv(Readable.from(['a,b\n1,"x"y\n2,ok\n3,bad"quote\n4,"never closed\n5,last\n']))) records.push(r);
    assert.deepEqual(records, [
      { line: 1, fields: ['a', 'b'] },
      { line: 2, error: 'unexpected text after a closing quote in field 2' },
      { line: 3, fields: ['2', 'ok'] },
      { line: 4, error: 'a quote inside the unquoted field 2' },
      { line: 5, error: 'a quoted field opened on line 5 is never closed' },
    ]);
  });
});

describe('CSV table: a registry export whose header names the columns', () => {
  const spec = { file: 'export.csv', header: { iin: 'iin', 'иин': 'iin', phone: 'phone' } as const, required: ['iin', 'phone'] as const, optional: [] };
  async function rows(text: string): Promise<CsvTableRow<'iin' | 'phone'>[]> {
    const out: CsvTableRow<'iin' | 'phone'>[] = [];
    for await (const r of readCsvTable(Readable.from([text]), spec)) out.push(r);
    return out;
  }

  test('columns are found by name in any order and case; a broken row or one of another width is a problem on its line', async () => {
    assert.deepEqual(await rows('note;PHONE;ИИН\nx;+77011234567;900101300001\ny;1\nz;"a"b;1\n'), [
      { line: 2, fields: ['x', '+77011234567', '900101300001'], columns: { phone: 1, iin: 2 } },
      { line: 3, problem: 'expected 3 fields as in the header, found 2' },
      { line: 4, problem: 'unexpected text after a closing quote in field 2' },
    ]);
  });

  test('a required column missing, or a broken header, refuses the whole file', async () => {
    await assert.rejects(rows('iin,tel\n1,2\n'), (e) => isQtError(e, 'QT_ERR_REGISTRY_ROW_INVALID') && /export\.csv: .*missing: phone/.test(e.message));
    await assert.rejects(rows('iin,"phone\n'), (e) => isQtError(e, 'QT_ERR_REGISTRY_ROW_INVALID') && /line 1/.test(e.message));
  });
});
