/**
 * `qoltanba registry import <file.csv>`: the mobile-citizens registry (БМГ) export into the database. The file
 * is checked whole first; a file with bad rows is refused with every bad row named (line, field, code) unless
 * --skip-invalid, and even then each skipped row is reported. Progress goes to stderr on a terminal.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { isQtError } from '@qoltanba/pki';
import { notify } from '@qoltanba/server';
import type { ContextFactory } from './index.ts';
import { printResult, type Row } from '../output.ts';
import { withHomeStore } from '../home-store.ts';

const SHOWN_PROBLEMS = 50;

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
  registry
    .command('import')
    .description('import a registry CSV (header: iin, phone, verified[, verified_on]; "," or ";")')
    .argument('<file>', 'the CSV file')
    .option('--source <name>', 'label stored with each entry (default: the file name)')
    .option('--skip-invalid', 'import the good rows of a file that has bad ones (each bad row is still reported)')
    .option('--allow-unknown-iin', 'accept IINs of people who have no record here yet')
    .option('--test-iins', 'accept NCA test IINs, which fail the check digit')
    .option('--replace', 'delete the entries this file does not contain (after it is fully imported)')
    .option('--dry-run', 'check the file and report; write nothing')
    .action(async (file: string, flags: ImportFlags) => {
      const ctx = context();
      const bar = ctx.json ? undefined : new cliProgress.SingleBar({ stream: ctx.err, format: '{phase} |{bar}| {percentage}% {rows} rows', hideCursor: true }, cliProgress.Presets.shades_classic);
      let started = false;
      try {
        const report = await withHomeStore(ctx, (store) =>
          notify.importRegistryCsv(store.db, file, {
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
        const rows: Row[] = [
          ['File', `${report.file} (sha256 ${report.sha256.slice(0, 16)}…)`],
          ['Rows', report.rows],
          ['Valid', report.valid],
          ['Invalid', report.invalid],
          ['Written', report.dryRun ? 'nothing (dry run)' : report.written],
          ['Deleted', flags.replace && !report.dryRun ? report.deleted : undefined],
          ...problemRows(report.problems),
        ];
        printResult(ctx, { ok: true, ...report }, rows);
      } catch (e) {
        bar?.stop();
        if (!ctx.json && isQtError(e, 'QT_ERR_REGISTRY_IMPORT_REJECTED')) {
          const problems = (e.details?.problems ?? []) as notify.RowProblem[];
          for (const [label, value] of problemRows(problems)) ctx.err.write(`${label}: ${value}\n`);
        }
        throw e;
      }
    });
}

function problemRows(problems: readonly notify.RowProblem[]): Row[] {
  const rows = problems.slice(0, SHOWN_PROBLEMS).map((p): Row => [`line ${p.line}`, `${p.code}${p.field ? ` (${p.field})` : ''}: ${p.message}`]);
  if (problems.length > SHOWN_PROBLEMS) rows.push(['…', `${problems.length - SHOWN_PROBLEMS} more (--json lists them all)`]);
  return rows;
}
