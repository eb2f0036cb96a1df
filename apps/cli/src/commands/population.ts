/**
 * `qoltanba population import <file.csv>`: the population registry (ГБД ФЛ) export — one row per person with
 * the identity document and a photo file next to the CSV — into the database that remote issuance checks
 * IINs, documents and faces against. Checked whole first; a file with bad rows is refused with every bad row
 * named (line, field, code) unless --skip-invalid.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { isQtError } from '@qoltanba/pki';
import { population } from '@qoltanba/server';
import type { ContextFactory } from './index.ts';
import { printResult, type Row } from '../output.ts';
import { withHomeStore } from '../home-store.ts';

const SHOWN_PROBLEMS = 50;

interface ImportFlags {
  source?: string;
  skipInvalid?: boolean;
  testIins?: boolean;
  dryRun?: boolean;
}

export function registerPopulation(program: Command, context: ContextFactory): void {
  const command = program.command('population').description('the population registry (ГБД ФЛ): IIN → name, document, reference photo, for remote issuance');
  command
    .command('import')
    .description('import a registry CSV (header: iin, surname, name, patronymic, birth_date, status, document_type, document_number, document_issued, document_expires, photo)')
    .argument('<file>', 'the CSV file; photo paths are relative to its folder')
    .option('--source <name>', 'label stored with each person (default: the file name)')
    .option('--skip-invalid', 'import the good rows of a file that has bad ones (each bad row is still reported)')
    .option('--test-iins', 'accept NCA test IINs, which fail the check digit')
    .option('--dry-run', 'check the file and the photos and report; write nothing')
    .action(async (file: string, flags: ImportFlags) => {
      const ctx = context();
      try {
        const report = await withHomeStore(ctx, (store) =>
          population.importPopulationCsv(store.db, file, {
            ...(flags.source && { source: flags.source }),
            skipInvalid: Boolean(flags.skipInvalid),
            testIins: Boolean(flags.testIins),
            dryRun: Boolean(flags.dryRun),
            actor: `operator:${userInfo().username}`,
          }),
        );
        const rows: Row[] = [
          ['File', `${report.file} (sha256 ${report.sha256.slice(0, 16)}…)`],
          ['Rows', report.rows],
          ['Valid', report.valid],
          ['Invalid', report.invalid],
          ['Written', report.dryRun ? 'nothing (dry run)' : report.written],
          ['With photo', report.dryRun ? undefined : report.withPhoto],
          ...problemRows(report.problems),
        ];
        printResult(ctx, { ok: true, ...report }, rows);
      } catch (e) {
        if (!ctx.json && isQtError(e, 'QT_ERR_REGISTRY_IMPORT_REJECTED')) {
          const problems = (e.details?.problems ?? []) as population.PopulationRowProblem[];
          for (const [label, value] of problemRows(problems)) ctx.err.write(`${label}: ${value}\n`);
        }
        throw e;
      }
    });
}

function problemRows(problems: readonly population.PopulationRowProblem[]): Row[] {
  const rows = problems.slice(0, SHOWN_PROBLEMS).map((p): Row => [`line ${p.line}`, `${p.code}${p.field ? ` (${p.field})` : ''}: ${p.message}`]);
  if (problems.length > SHOWN_PROBLEMS) rows.push(['…', `${problems.length - SHOWN_PROBLEMS} more (--json lists them all)`]);
  return rows;
}
