/** `qoltanba crl`: make a full (or delta) CRL now for an issuing CA, publish it, and optionally write the DER. */
import { writeFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { QtError } from '@qoltanba/pki';
import type { ContextFactory } from '../context.ts';
import { printResult } from '../output.ts';
import { withLocalAdmin } from '../home-store.ts';
import { withExamples } from '../help.ts';

export function registerCrl(program: Command, context: ContextFactory): void {
  const cmd = program
    .command('crl')
    .description('generate and publish a CRL now (full by default) for an issuing CA')
    .option('--ca <name>', 'issuing CA (default: every active issuing CA)')
    .option('--delta', 'a delta CRL against the latest full one')
    .option('--out <file>', "also write the DER here (needs --ca: the file holds one CA's CRL)")
    .action(async (flags: { ca?: string; delta?: boolean; out?: string }, self: Command) => {
      // A usage mistake, known before any data is touched: which CA's CRL would the file hold?
      if (flags.out && !flags.ca) self.error("error: --out needs --ca <name>: the file holds one CA's CRL", { exitCode: 2 });
      const ctx = context();
      const made = await withLocalAdmin(ctx, async (admin) => {
        const cas = await admin.ctx.store.db.selectFrom('cas').select(['id', 'name']).where('kind', '=', 'issuing').where('status', '=', 'active').orderBy('id').execute();
        const chosen = flags.ca ? cas.filter((c) => c.name === flags.ca) : cas;
        if (chosen.length === 0) throw new QtError('QT_ERR_NOT_FOUND', flags.ca ? `No active issuing CA named ${flags.ca}` : 'No active issuing CA: run `qoltanba ca init`');
        const out = [];
        for (const ca of chosen) {
          // A national CA's full CRL runs to a million entries: show how far the stream has got.
          const total = flags.delta
            ? undefined
            : Number((await admin.ctx.store.db.selectFrom('certificates').select((eb) => eb.fn.countAll<string>().as('n')).where('ca_id', '=', ca.id).where('status', '<>', 'good').executeTakeFirstOrThrow()).n);
          const bar = ctx.json ? undefined : new cliProgress.SingleBar({ stream: ctx.err, format: `CRL ${ca.name} |{bar}| {value}/{total} entries`, hideCursor: true }, cliProgress.Presets.shades_classic);
          bar?.start(total ?? 0, 0);
          const crl = await admin.status
            .generateCrl(ca.id, flags.delta ? 'delta' : 'full', {
              onProgress: (entries) => {
                if (total === undefined) bar?.setTotal(entries);
                bar?.update(entries);
              },
            })
            .finally(() => bar?.stop());
          if (!crl) throw new QtError('QT_ERR_INPUT_INVALID', `No delta CRL for ${ca.name}: there is no full CRL to be a delta of yet; make a full one first`);
          if (flags.out) writeFileSync(ctx.path(flags.out), (await admin.status.crls.get(ca.id, ca.name, crl.kind)).der);
          out.push({ ca: ca.name, ...crl });
        }
        return out;
      });
      const rows = made.flatMap((c) => [
        [`CRL ${c.ca}`, `number ${c.crlNumber}${c.kind === 'delta' ? ` (delta of ${c.baseCrlNumber})` : ''}, ${c.entries} entries, next update ${c.nextUpdate.toISOString()}`] as [string, string],
      ]);
      if (flags.out) rows.push(['Written to', ctx.path(flags.out)]);
      printResult(ctx, made, rows);
    });
  withExamples(cmd, [
    ['a full CRL for every active issuing CA, published at /crl/<ca>.crl', 'qoltanba crl'],
    ['a delta CRL of one CA, also written to a file and checked by openssl', 'qoltanba crl --ca rsa --delta --out rsa-delta.crl && openssl crl -inform DER -in rsa-delta.crl -noout -text'],
  ]);
}
