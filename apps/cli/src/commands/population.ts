/**
 * `qoltanba population import <file.csv>`: the population registry (ГБД ФЛ) export — one row per person with
 * the identity document and a photo file next to the CSV — into the database that remote issuance checks
 * IINs, documents and faces against. Checked whole first; a file with bad rows is refused with every bad row
 * named (line, field, code) unless --skip-invalid.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { population } from '@qoltanba/server';
import type { ContextFactory } from '../context.ts';
import { printImportReport, printRejectedRows } from './import-report.ts';
import { withHomeStore } from '../home-store.ts';
import { withExamples } from '../help.ts';

interface ImportFlags {
  source?: string;
  skipInvalid?: boolean;
  testIins?: boolean;
  dryRun?: boolean;
}

export function registerPopulation(program: Command, context: ContextFactory): void {
  const command = program.command('population').description('the population registry (ГБД ФЛ): IIN → name, document, reference photo, for remote issuance');
  withExamples(command, ['qoltanba population import gbdfl/export.csv']);
  const importCommand = command
    .command('import')
    .description('import a population registry CSV with a photo per person (see the columns below)')
    .argument('<file>', 'the CSV file; photo paths are relative to its folder')
    .option('--source <name>', 'label stored with each person (default: the file name)')
    .option('--skip-invalid', 'import the good rows of a file that has bad ones (each bad row is still reported)')
    .option('--test-iins', 'accept NCA test IINs, which fail the check digit')
    .option('--dry-run', 'check the file and the photos and report; write nothing')
    .action(async (file: string, flags: ImportFlags) => {
      const ctx = context();
      try {
        const report = await withHomeStore(ctx, (store) =>
          population.importPopulationCsv(store.db, ctx.path(file), {
            ...(flags.source && { source: flags.source }),
            skipInvalid: Boolean(flags.skipInvalid),
            testIins: Boolean(flags.testIins),
            dryRun: Boolean(flags.dryRun),
            actor: `operator:${userInfo().username}`,
          }),
        );
        printImportReport(ctx, report, flags.skipInvalid, [['With photo', report.dryRun ? undefined : report.withPhoto]]);
      } catch (e) {
        printRejectedRows(ctx, e);
        throw e;
      }
    });
  importCommand.addHelpText(
    'after',
    `
The CSV file: a header row, then one row per person; "," or ";" between fields; UTF-8;
dates as YYYY-MM-DD or DD.MM.YYYY.
  iin               12 digits; the check digit and the birth date it encodes are checked
  surname           as in the identity document (at most 100 characters)
  name              as in the identity document (at most 100 characters)
  patronymic        optional
  birth_date        must be the date the IIN encodes
  status            alive | deceased | blocked (or жив | умер | заблокирован);
                    remote issuance serves only alive
  document_type     id_card | passport (or удостоверение личности | паспорт)
  document_number   the identity document's number; spaces and dashes are ignored
  document_issued   the document's issue date
  document_expires  the document's expiry date
  photo             optional: the reference photo, JPEG or PNG of at most 2 MB,
                    named relative to the CSV file's folder
Header names may also be Russian or Kazakh (ИИН, фамилия, имя, отчество, дата рождения, статус, …).
A file with any bad row imports nothing unless --skip-invalid; every bad row is named (line, field, code).`,
  );
  withExamples(importCommand, [
    ['check the file and every photo first (exit 1 when the import would be refused)', 'qoltanba population import --dry-run gbdfl/export.csv'],
    'qoltanba population import gbdfl/export.csv --source "ГБД ФЛ 2025-03"',
  ]);
}
