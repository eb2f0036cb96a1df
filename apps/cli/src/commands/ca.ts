/** `qoltanba ca init` / `ca list`: the CA ceremony from the reviewable plan, and what CAs exist. */
import type { Command } from 'commander';
import { inspectCertificate } from '@qoltanba/pki';
import { loadCeremonyConfig, resolvePassphrase, runCeremony, loadServerConfig } from '@qoltanba/server';
import type { ContextFactory } from './index.ts';
import { printResult, type Row } from '../output.ts';
import { withHomeStore } from '../home-store.ts';

export function registerCa(program: Command, context: ContextFactory): void {
  const ca = program.command('ca').description('certificate authorities: ceremony and listing');

  ca.command('init')
    .description('run the CA ceremony from $QOLTANBA_HOME/ceremony.json (written with defaults for review when absent); repeating it changes nothing')
    .action(async () => {
      const ctx = context();
      const config = loadServerConfig({ home: ctx.home, overrides: { keys: { passphraseFile: ctx.passphraseFile } } });
      const passphrase = resolvePassphrase(config.home, process.env, config.keys.passphraseFile, config.keys.passphraseEnv);
      const plan = loadCeremonyConfig(config.home);
      const cas = await withHomeStore(ctx, (store) =>
        runCeremony({
          db: store.db,
          keystore: { soft: { dir: config.keys.softDir, passphraseFile: passphrase.passphraseFile, passphraseEnv: passphrase.passphraseEnv } },
          config: plan.config,
          publicUrl: config.publicUrl,
          home: config.home,
          actor: 'operator:cli',
        }),
      );
      const rows: Row[] = [['Ceremony plan', `${plan.path}${plan.created ? ' (written now with defaults; review it)' : ''}`]];
      if (passphrase.developmentDefault) rows.push(['Passphrase', `development default in ${passphrase.developmentDefault} — use QOLTANBA_PASSPHRASE or --passphrase-file in production`]);
      for (const c of cas) {
        rows.push([`${c.kind === 'root' ? 'Root CA' : 'Issuing CA'} ${c.name}`, `${c.subject} — serial ${c.serial}, until ${c.notAfter.toISOString().slice(0, 10)}, key ${c.keyUri}${c.created ? ' (created now)' : ' (already existed)'}`]);
      }
      rows.push(['Certificates', `${config.home}/ca/*.crt`]);
      printResult(ctx, { plan: plan.path, planCreated: plan.created, developmentPassphrase: passphrase.developmentDefault, cas }, rows);
    });

  ca.command('list')
    .description('list the CAs in the registry')
    .action(async () => {
      const ctx = context();
      const cas = await withHomeStore(ctx, (store) => store.db.selectFrom('cas').select(['name', 'kind', 'status', 'certificate', 'key_uri']).orderBy('id').execute());
      const list = cas.map((c) => {
        const info = inspectCertificate(c.certificate);
        return { name: c.name, kind: c.kind, status: c.status, subject: info.subject.display, serial: info.serialHex, notAfter: info.notAfter.toISOString(), keyUri: c.key_uri };
      });
      printResult(ctx, list, list.length ? list.map((c): Row => [c.name, `${c.kind}, ${c.status} — ${c.subject}, until ${c.notAfter.slice(0, 10)}`]) : 'No CA yet: run `qoltanba ca init`.');
    });
}
