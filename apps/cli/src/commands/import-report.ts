/**
 * How both registry imports (`population import`, `registry import`) report: the same counts, the refusal of a
 * dry run with bad rows (exit 1), and at most SHOWN_PROBLEMS bad rows on the terminal (--json has them all).
 */
import { isQtError } from '@qoltanba/pki';
import type { CliContext } from '../context.ts';
import { printResult, type Row } from '../output.ts';

const SHOWN_PROBLEMS = 50;

interface RowProblem {
  line: number;
  code: string;
  field?: string | undefined;
  message: string;
}

interface ImportReport {
  file: string;
  sha256: string;
  rows: number;
  valid: number;
  invalid: number;
  written: number;
  dryRun: boolean;
  problems: readonly RowProblem[];
}

/** Prints the report; `extra` rows (what one import alone counts) come after "Written". */
export function printImportReport(ctx: CliContext, report: ImportReport, skipInvalid: boolean | undefined, extra: Row[] = []): void {
  // A dry run says what the import would do: refuse the file (exit 1) when it has bad rows and no --skip-invalid.
  const wouldRefuse = report.dryRun && report.invalid > 0 && !skipInvalid;
  if (wouldRefuse) ctx.exitCode = 1;
  const rows: Row[] = [
    ['File', `${report.file} (sha256 ${report.sha256.slice(0, 16)}…)`],
    ['Rows', report.rows],
    ['Valid', report.valid],
    ['Invalid', report.invalid],
    ['Written', report.dryRun ? `nothing (dry run${wouldRefuse ? '; the import would be refused: fix the rows below or pass --skip-invalid' : ''})` : report.written],
    ...extra,
    ...problemRows(report.problems),
  ];
  printResult(ctx, { ok: !wouldRefuse, ...report }, rows);
}

/** A refused file's bad rows on stderr before the error itself (which names only the count). */
export function printRejectedRows(ctx: CliContext, e: unknown): void {
  if (ctx.json || !isQtError(e, 'QT_ERR_REGISTRY_IMPORT_REJECTED')) return;
  const problems = (e.details?.problems ?? []) as RowProblem[];
  for (const [label, value] of problemRows(problems)) ctx.err.write(`${label}: ${value}\n`);
}

function problemRows(problems: readonly RowProblem[]): Row[] {
  const rows = problems.slice(0, SHOWN_PROBLEMS).map((p): Row => [`line ${p.line}`, `${p.code}${p.field ? ` (${p.field})` : ''}: ${p.message}`]);
  if (problems.length > SHOWN_PROBLEMS) rows.push(['…', `${problems.length - SHOWN_PROBLEMS} more (--json lists them all)`]);
  return rows;
}
