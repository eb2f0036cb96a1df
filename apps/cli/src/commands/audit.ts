/**
 * `qoltanba audit verify`: recompute the audit log's hash chain and name every row that was changed, deleted,
 * reordered or forged; reconcile the certificates with their audit events; and hold the log up against the
 * signed checkpoints kept outside the database (the data directory's file by default, or --checkpoints).
 */
import type { Command } from 'commander';
import { loadCheckpoints, verifyAudit } from '@qoltanba/server';
import type { ContextFactory } from '../context.ts';
import { printResult, type Row } from '../output.ts';
import { withHomeStore } from '../home-store.ts';
import { withExamples } from '../help.ts';

interface VerifyFlags {
  checkpoints?: string;
  auditKey?: string;
}

export function registerAudit(program: Command, context: ContextFactory): void {
  const audit = program.command('audit').description('the tamper-evident audit log');
  withExamples(audit, ['qoltanba audit verify', 'qoltanba audit verify --checkpoints https://pki.example.kz/audit/checkpoints --audit-key checkpoint-key.pem']);
  const verify = audit
    .command('verify')
    .description('check the hash chain of the audit log, the certificates against it, and its tail against signed checkpoints; exit 1 and name what was tampered with')
    .option('--checkpoints <file|url>', 'signed checkpoints to check the log against: a file, or a node\'s /audit/checkpoints (default: the data directory\'s audit/checkpoints.jsonl, when there is one)')
    .option('--audit-key <file>', 'the audit checkpoint key (PEM public key) to check them with (default: the data directory\'s audit/checkpoint-key.pem, else the database\'s)')
    .action(async (flags: VerifyFlags) => {
      const ctx = context();
      const source = flags.checkpoints === undefined ? undefined : /^https?:\/\//i.test(flags.checkpoints) ? flags.checkpoints : ctx.path(flags.checkpoints);
      const keyFile = flags.auditKey === undefined ? undefined : ctx.path(flags.auditKey);
      const { result, loaded } = await withHomeStore(ctx, async (store) => {
        const loaded = await loadCheckpoints(store.db, ctx.home, source, keyFile);
        return { result: await verifyAudit(store.db, { checkpoints: loaded }), loaded };
      });
      if (!result.ok) ctx.exitCode = 1;
      const newest = result.checkpoints?.newest;
      const rows: Row[] = [
        ['Verdict', result.ok ? 'INTACT' : `TAMPERED — ${result.problems.length} problem(s)`],
        ['Rows checked', result.rows],
        [
          'Checkpoints',
          loaded
            ? `${result.checkpoints?.verified ?? 0} verified from ${loaded.from}${newest ? `, newest for row ${newest.seq} at ${newest.at.toISOString()}` : ''} (key: ${loaded.keyFrom})`
            : 'none (no audit/checkpoints.jsonl in the data directory; give --checkpoints)',
        ],
        ...result.problems.map((p): Row => [p.seq > 0 ? `Row ${p.seq}` : p.kind === 'disagrees' ? 'Certificate' : 'Checkpoints', `${p.kind}: ${p.message}`]),
      ];
      printResult(ctx, { ...result, checkpointsFrom: loaded?.from ?? null, checkpointKeyFrom: loaded?.keyFrom ?? null }, rows);
    });
  withExamples(verify, [
    'qoltanba audit verify',
    ['against the checkpoints another machine kept (a copy, or a node\'s URL) and the key you kept', 'qoltanba audit verify --checkpoints /backup/checkpoints.jsonl --audit-key /backup/checkpoint-key.pem'],
    ['in a nightly job: exit 1 and the problems as JSON when the log was tampered with', 'qoltanba --json audit verify > audit-check.json || alert-the-operator audit-check.json'],
  ]);
}
