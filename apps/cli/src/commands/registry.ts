/**
 * `qoltanba registry import <file.csv>`: the mobile-citizens registry (БМГ) export into the database. The file
 * is checked whole first; a file with bad rows is refused with every bad row named (line, field, code) unless
 * --skip-invalid, and even then each skipped row is reported. Progress goes to stderr on a terminal.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { notify } from '@qoltanba/server';
import type { ContextFactory } from '../context.ts';
import { printImportReport, printRejectedRows } from './import-report.ts';
import { withHomeStore } from '../home-store.ts';
import { withExamples } from '../help.ts';

interface ImportFlags {
  source?: string;
  skipInvalid?: boolean;
  allowUnknownIin?: boolean;
  testIins?: boolean;
  replace?: boolean;
  dryRun?: boolean;
}

export function registerRegistry(program: Command, context: ContextFactory): void {
  const registry = program.command('registry').description('the mobile-citizens registry (БМГ): IIN → phone number, for SMS reminders');
  withExamples(registry, ['qoltanba registry import bmg-export.csv']);
  const command = registry
    .command('import')
    .description('import a mobile-citizens registry CSV: IIN → phone number (see the columns below)')
    .argument('<file>', 'the CSV file')
    .option('--source <name>', 'label stored with each entry (default: the file name)')
    .option('--skip-invalid', 'import the good rows of a file that has bad ones (each bad row is still reported)')
    .option('--allow-unknown-iin', 'accept IINs of people known neither as certificate holders nor in the population registry')
    .option('--test-iins', 'accept NCA test IINs, which fail the check digit')
    .option('--replace', 'delete the entries this file does not contain (after it is fully imported)')
    .option('--dry-run', 'check the file and report; write nothing')
    .action(async (file: string, flags: ImportFlags) => {
      const ctx = context();
      const bar = ctx.json ? undefined : new cliProgress.SingleBar({ stream: ctx.err, format: '{phase} |{bar}| {percentage}% {rows} rows', hideCursor: true }, cliProgress.Presets.shades_classic);
      let started = false;
      try {
        const report = await withHomeStore(ctx, (store) =>
          notify.importMobileCitizensCsv(store.db, ctx.path(file), {
            ...(flags.source && { source: flags.source }),
            skipInvalid: Boolean(flags.skipInvalid),
            allowUnknownIin: Boolean(flags.allowUnknownIin),
            testIins: Boolean(flags.testIins),
            replace: Boolean(flags.replace),
            dryRun: Boolean(flags.dryRun),
            actor: `operator:${userInfo().username}`,
            onProgress: (p) => {
              if (!bar) return;
              const phase = p.phase === 'check' ? 'checking' : 'writing ';
              if (!started) bar.start(p.totalBytes || 1, 0, { phase, rows: 0 });
              started = true;
              bar.update(p.bytes, { phase, rows: p.rows });
            },
          }),
        );
        bar?.stop();
        printImportReport(ctx, report, flags.skipInvalid, [['Deleted', flags.replace && !report.dryRun ? report.deleted : undefined]]);
      } catch (e) {
        bar?.stop();
        printRejectedRows(ctx, e);
        throw e;
      }
    });
  command.addHelpText(
    'after',
    `
The CSV file: a header row, then one row per person; "," or ";" between fields; UTF-8.
  iin          12 digits: a certificate holder, or a person of the population registry
               (first-time applicants); others only with --allow-unknown-iin
  phone        a Kazakhstan mobile number: +77011234567, 87011234567, "+7 701 123 45 67"
  verified     1 | true | yes | да | иә, or 0 | false | no | нет | жоқ | empty:
               whether the number is confirmed
  verified_on  optional: the date it was confirmed, YYYY-MM-DD
Header names may also be Russian or Kazakh (ИИН/ЖСН, телефон, подтвержден, дата).
A file with any bad row imports nothing unless --skip-invalid; every bad row is named (line, field, code).`,
  );
  withExamples(command, [
    ['check first: report every bad row, write nothing (exit 1 when the import would be refused)', 'qoltanba registry import --dry-run bmg-export.csv'],
    'qoltanba registry import bmg-export.csv --source "БМГ 2025-03"',
    ['the whole registry: entries the file does not contain are deleted afterwards', 'qoltanba registry import --replace --skip-invalid bmg-full.csv'],
  ]);
}
