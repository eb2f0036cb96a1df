/** `qoltanba ca init` / `ca list`: the CA ceremony from the reviewable plan, and what CAs exist. */
import type { Command } from 'commander';
import { inspectCertificate } from '@qoltanba/pki';
import { loadCeremonyConfig, resolvePassphrase, runCeremony, loadServerConfig } from '@qoltanba/server';
import type { ContextFactory } from './index.ts';
import { printResult, type Row } from '../output.ts';
import { withHomeStore } from '../home-store.ts';
import { withExamples } from '../help.ts';

export function registerCa(program: Command, context: ContextFactory): void {
  const ca = program.command('ca').description('certificate authorities: ceremony and listing');
  withExamples(ca, ['qoltanba ca init', 'qoltanba ca list']);

  const init = ca
    .command('init')
    .description('run the CA ceremony from $QOLTANBA_HOME/ceremony.json (written with defaults for review when absent); repeating it changes nothing')
    .action(async () => {
      const ctx = context();
      // Everything happens inside withHomeStore: with the server running, the whole command runs there, with
      // the server's own configuration and passphrase (a key made with another one could not be opened by it).
      const done = await withHomeStore(ctx, async (store) => {
        const config = ctx.host?.config ?? loadServerConfig({ home: ctx.home, env: ctx.env, overrides: { keys: { passphraseFile: ctx.passphraseFile } } });
        const passphrase = resolvePassphrase(config.home, process.env, config.keys.passphraseFile, config.keys.passphraseEnv);
        const plan = loadCeremonyConfig(config.home);
        const cas = await runCeremony({
          db: store.db,
          keystore: { soft: { dir: config.keys.softDir, passphraseFile: passphrase.passphraseFile, passphraseEnv: passphrase.passphraseEnv } },
          config: plan.config,
          publicUrl: config.publicUrl,
          home: config.home,
          actor: 'operator:cli',
        });
        return { config, passphrase, plan, cas };
      });
      const { config, passphrase, plan, cas } = done;
      const rows: Row[] = [['Ceremony plan', `${plan.path}${plan.created ? ' (written now with defaults; review it)' : ''}`]];
      if (passphrase.generated) rows.push(['Passphrase', `generated now into ${passphrase.developmentDefault} — a development default: use QOLTANBA_PASSPHRASE or --passphrase-file in production`]);
      for (const c of cas) {
        rows.push([`${c.kind === 'root' ? 'Root CA' : 'Issuing CA'} ${c.name}`, `${c.subject} — serial ${c.serial}, until ${c.notAfter.toISOString().slice(0, 10)}, key ${c.keyUri}${c.created ? ' (created now)' : ' (already existed)'}`]);
      }
      rows.push(['Certificates', `${config.home}/ca/*.crt`]);
      printResult(ctx, { plan: plan.path, planCreated: plan.created, developmentPassphrase: passphrase.developmentDefault, cas }, rows);
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
