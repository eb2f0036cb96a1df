import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isQtError, type QtError } from '@qoltanba/pki';
import { describeEachBackend } from '../../store/testing/backends.ts';
import { insertPerson, testIins } from '../testing/fixtures.ts';
import { importMobileCitizensCsv } from './import.ts';
import { DatabaseMobileCitizens } from './mobile-citizens.ts';
import { populationDb } from '../../population/tables.ts';

const dir = mkdtempSync(join(tmpdir(), 'qt-mobile-citizens-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const csvFile = (text: string) => {
  const f = join(dir, `bmg-${++fileNo}.csv`);
  writeFileSync(f, text);
  return f;
};

describeEachBackend('mobile-citizens registry import', (ctx) => {
  const [a, b, c, unknown] = testIins(4, 1) as [string, string, string, string];

  test('a clean file is imported: numbers normalised to E.164, verified flags and dates kept, audited without numbers', async () => {
    for (const iin of [a, b, c]) await insertPerson(ctx.store.db, iin);
    const file = csvFile(`iin,phone,verified,verified_on\n${a},8 (701) 123-45-67,1,2024-05-01\n${b},+77771234567,нет,\n${c},7051112233,true,01.02.2023\n`);
    const report = await importMobileCitizensCsv(ctx.store.db, file, { source: 'bmg-test' });
    assert.deepEqual([report.rows, report.valid, report.invalid, report.written, report.problems.length], [3, 3, 0, 3, 0]);
    const found = await new DatabaseMobileCitizens(ctx.store.db).lookup([a, b, c, unknown]);
    assert.deepEqual(found.get(a), { iin: a, phone: '+77011234567', verified: true, verifiedOn: '2024-05-01' });
    assert.deepEqual(found.get(b), { iin: b, phone: '+77771234567', verified: false, verifiedOn: undefined });
    assert.equal(found.get(c)?.verifiedOn, '2023-02-01');
    assert.equal(found.has(unknown), false);
    const audit = await ctx.store.db.selectFrom('audit_log').select(['action', 'details']).where('action', '=', 'registry.imported').execute();
    assert.equal(audit.length, 1);
    assert.equal((audit[0]!.details as { written: number }).written, 3);
    assert.doesNotMatch(JSON.stringify(audit[0]!.details), /7011234567|7771234567/);
  });

  test('a file with bad rows is refused whole, naming every bad row with its line, field and code; nothing changes', async () => {
    const file = csvFile(
      [
        'iin,phone,verified,verified_on',
        `${a},+77010000000,1,`, // good: would change a's number
        `${b.slice(0, 11)}${(Number(b[11]) + 1) % 10},+77010000001,1,`, // check digit broken
        `${c},+74951234567,1,`, // a Moscow number
        `${unknown},+77010000002,1,`, // valid IIN, nobody we know
        `${a},+77010000003,1,`, // duplicate
        `${c},+77010000004,maybe,`,
        `${c},+77010000005,1,2023-02-30`,
        `${c},+77010000006,1`, // too few fields
        `${c},"+7701"0000007,1,`,
        'abc,+77010000008,1,',
      ].join('\n') + '\n',
    );
    const failure = await importMobileCitizensCsv(ctx.store.db, file).then(
      () => assert.fail('imported a file with bad rows'),
      (e: QtError) => e,
    );
    assert.ok(isQtError(failure, 'QT_ERR_REGISTRY_IMPORT_REJECTED'), String(failure));
    const problems = (failure.details as { problems: Array<{ line: number; code: string; field?: string }> }).problems;
    assert.deepEqual(
      problems.map((p) => [p.line, p.code, p.field]),
      [
        [3, 'QT_ERR_IIN_INVALID', 'iin'],
        [4, 'QT_ERR_PHONE_INVALID', 'phone'],
        [5, 'QT_ERR_REGISTRY_IIN_UNKNOWN', 'iin'],
        [6, 'QT_ERR_REGISTRY_ROW_INVALID', 'iin'],
        [7, 'QT_ERR_REGISTRY_ROW_INVALID', 'verified'],
        [8, 'QT_ERR_REGISTRY_ROW_INVALID', 'verified_on'],
        [9, 'QT_ERR_REGISTRY_ROW_INVALID', undefined],
        [10, 'QT_ERR_REGISTRY_ROW_INVALID', undefined],
        [11, 'QT_ERR_IIN_INVALID', 'iin'],
      ],
    );
    assert.match(failure.message, /9 of 10 rows are invalid; nothing was imported/);
    const still = await new DatabaseMobileCitizens(ctx.store.db).lookup([a]);
    assert.equal(still.get(a)?.phone, '+77011234567');

    // The operator may take the good rows; the report still lists the skipped ones.
    const partial = await importMobileCitizensCsv(ctx.store.db, file, { skipInvalid: true });
    assert.deepEqual([partial.written, partial.invalid, partial.problems.length], [1, 9, 9]);
    assert.equal((await new DatabaseMobileCitizens(ctx.store.db).lookup([a])).get(a)?.phone, '+77010000000');
  });

  test('a missing column in the header is refused before any row is read', async () => {
    const file = csvFile(`iin;telephone;verified\n${a};+77011234567;1\n`);
    await assert.rejects(importMobileCitizensCsv(ctx.store.db, file), (e) => isQtError(e, 'QT_ERR_REGISTRY_ROW_INVALID') && /missing: phone/.test(e.message));
  });

  test('unknown IINs are accepted when asked; --replace deletes the entries the new file lacks, only after writing it', async () => {
    const file = csvFile(`iin;phone;verified\n${unknown};+77021234567;1\n${c};+77051112233;1\n`);
    const dry = await importMobileCitizensCsv(ctx.store.db, file, { allowUnknownIin: true, dryRun: true, replace: true });
    assert.deepEqual([dry.written, dry.deleted, dry.valid], [0, 0, 2]);
    assert.equal((await new DatabaseMobileCitizens(ctx.store.db).lookup([a])).size, 1);
    const report = await importMobileCitizensCsv(ctx.store.db, file, { allowUnknownIin: true, replace: true });
    assert.deepEqual([report.written, report.deleted], [2, 2]);
    const left = await new DatabaseMobileCitizens(ctx.store.db).lookup([a, b, c, unknown]);
    assert.deepEqual([...left.keys()].sort(), [c, unknown].sort());
  });

  test('a person of the population registry without any certificate (a first-time applicant) is known; a stranger still is not', async () => {
    const [applicant, stranger] = testIins(2, 77) as [string, string];
    await populationDb(ctx.store.db)
      .insertInto('population_persons')
      .values({
        iin: applicant, surname: 'НУРЛАНОВА', given_name: 'АЙГЕРИМ', patronymic: null, birth_date: '1990-01-01', status: 'alive',
        document_type: 'id_card', document_number: '041234567', document_issued_on: '2021-03-15', document_expires_on: '2031-03-14',
        photo: null, photo_type: null, source: 'test', import_id: randomUUID(),
      })
      .execute();
    assert.equal(await ctx.store.db.selectFrom('subjects').select('iin').where('iin', '=', applicant).executeTakeFirst(), undefined, 'no certificate, no subject');
    const refused = await importMobileCitizensCsv(ctx.store.db, csvFile(`iin,phone,verified\n${applicant},+77015550001,1\n${stranger},+77015550002,1\n`)).catch((e: QtError) => e);
    assert.ok(isQtError(refused, 'QT_ERR_REGISTRY_IMPORT_REJECTED'));
    assert.deepEqual((refused.details?.problems as { line: number; code: string }[]).map((p) => [p.line, p.code]), [[3, 'QT_ERR_REGISTRY_IIN_UNKNOWN']], 'only the stranger');
    const report = await importMobileCitizensCsv(ctx.store.db, csvFile(`iin,phone,verified\n${applicant},+77015550001,1\n`));
    assert.equal(report.written, 1);
    assert.equal((await new DatabaseMobileCitizens(ctx.store.db).lookup([applicant])).get(applicant)?.phone, '+77015550001');
  });
});
