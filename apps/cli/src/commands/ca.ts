/** `qoltanba ca init` / `ca list`: the CA ceremony from the reviewable plan, and what CAs exist. */
import type { Command } from 'commander';
import { inspectCertificate } from '@qoltanba/pki';
import { initializeCa } from '@qoltanba/server';
import type { ContextFactory } from '../context.ts';
import { printResult, type Row } from '../output.ts';
import { withHomeStore, withLocalAdmin } from '../home-store.ts';
import { withExamples } from '../help.ts';

export function registerCa(program: Command, context: ContextFactory): void {
  const ca = program.command('ca').description('certificate authorities: ceremony and listing');
  withExamples(ca, ['qoltanba ca init', 'qoltanba ca list']);

  const init = ca
    .command('init')
    .description('run the CA ceremony from $QOLTANBA_HOME/ceremony.json (written with defaults for review when absent) and publish the first full and delta CRLs; repeating it changes nothing')
    .option('--public-url <url>', 'the address certificates point to (stored at the first run; giving it later is a recorded change)')
    .action(async (flags: { publicUrl?: string }) => {
      const ctx = context();
      // Everything happens inside withHomeStore: with the server running, the whole command runs there, with
      // the server's own keys settings and address (a key made with another passphrase could not be opened by it).
      const done = await withHomeStore(ctx, (store) => {
        const host = ctx.host?.config;
        const overrides = host
          ? { keys: host.keys, port: host.port, host: host.host, publicUrl: flags.publicUrl }
          : { keys: { passphraseFile: ctx.passphraseFile }, publicUrl: flags.publicUrl };
        return initializeCa({ home: ctx.home, store, overrides, actor: 'operator:cli' });
      });
      // A CA made inside the running server must be known to its services now, not at their next periodic reload
      // (a CRL or OCSP request for it a second later would otherwise be "no such CA").
      if (ctx.host && done.cas.some((c) => c.created)) await withLocalAdmin(ctx, (admin) => admin.status.directory.reload());
      if (done.publicUrl.warning) ctx.err.write(`warning: ${done.publicUrl.warning}\n`);
      const rows: Row[] = [['Ceremony plan', `${done.plan.path}${done.plan.created ? ' (written now with defaults; review it)' : ''}`]];
      if (done.developmentPassphrase) rows.push(['Passphrase', `development default in ${done.developmentPassphrase} — use QOLTANBA_PASSPHRASE or --passphrase-file in production`]);
      rows.push(['Public address', `${done.publicUrl.url}${done.publicUrl.outcome === 'stored' ? ' (stored now)' : done.publicUrl.outcome === 'changed' ? ' (changed now, audited)' : ''}`]);
      for (const c of done.cas) {
        rows.push([`${c.kind === 'root' ? 'Root CA' : 'Issuing CA'} ${c.name}`, `${c.subject} — serial ${c.serial}, until ${c.notAfter.toISOString().slice(0, 10)}, key ${c.keyUri}${c.created ? ' (created now)' : ' (already existed)'}`]);
      }
      for (const crl of done.crls) rows.push([`${crl.kind === 'full' ? 'CRL' : 'Delta CRL'} ${crl.caName}`, `number ${crl.crlNumber}, published now`]);
      rows.push(['Certificates', `${done.config.home}/ca/*.crt`]);
      printResult(
        ctx,
        { plan: done.plan.path, planCreated: done.plan.created, developmentPassphrase: done.developmentPassphrase, publicUrl: done.publicUrl.url, cas: done.cas, crls: done.crls.map((c) => ({ ca: c.caName, kind: c.kind, crlNumber: c.crlNumber })) },
        rows,
      );
    });
  withExamples(init, [
    ['the passphrase from a file kept away from the keys', 'qoltanba --passphrase-file /run/secrets/ca-passphrase ca init'],
    ['after adding an issuing CA to ceremony.json (existing CAs are left as they are)', 'QOLTANBA_PASSPHRASE=… qoltanba --json ca init'],
  ]);

  const list = ca
    .command('list')
    .description('list the CAs in the registry')
    .action(async () => {
      const ctx = context();
      const cas = await withHomeStore(ctx, (store) => store.db.selectFrom('cas').select(['name', 'kind', 'status', 'certificate', 'key_uri']).orderBy('id').execute());
      const list = cas.map((c) => {
        const info = inspectCertificate(c.certificate);
        return { name: c.name, kind: c.kind, status: c.status, subject: info.subject.display, serial: info.serialHex, notAfter: info.notAfter.toISOString(), keyUri: c.key_uri };
      });
      printResult(ctx, list, list.length ? list.map((c): Row => [c.name, `${c.kind}, ${c.status} — ${c.subject}, serial ${c.serial}, until ${c.notAfter.slice(0, 10)}`]) : 'No CA yet: run `qoltanba ca init`.');
    });
  withExamples(list, ['qoltanba ca list', 'qoltanba --json ca list']);
}
