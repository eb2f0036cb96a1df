/** `qoltanba audit verify`: recompute the audit log's hash chain and name every row that was changed, deleted, reordered or forged. */
import type { Command } from 'commander';
import { verifyAudit } from '@qoltanba/server';
import type { ContextFactory } from './index.ts';
import { printResult, type Row } from '../output.ts';
import { withHomeStore } from '../home-store.ts';
import { withExamples } from '../help.ts';

export function registerAudit(program: Command, context: ContextFactory): void {
  const audit = program.command('audit').description('the tamper-evident audit log');
  withExamples(audit, ['qoltanba audit verify']);
  const verify = audit
    .command('verify')
    .description('check the hash chain of the audit log; exit 1 and name the rows when it was tampered with')
    .action(async () => {
      const ctx = context();
      const result = await withHomeStore(ctx, (store) => verifyAudit(store.db));
      if (!result.ok) ctx.exitCode = 1;
      const rows: Row[] = [
        ['Verdict', result.ok ? 'INTACT' : `TAMPERED — ${result.problems.length} problem(s)`],
        ['Rows checked', result.rows],
        ...result.problems.map((p): Row => [`Row ${p.seq}`, `${p.kind}: ${p.message}`]),
      ];
      printResult(ctx, result, rows);
    });
  withExamples(verify, ['qoltanba audit verify', ['in a nightly job: exit 1 and the problems as JSON when the log was tampered with', 'qoltanba --json audit verify > audit-check.json || alert-the-operator audit-check.json']]);
}
