/**
 * `qoltanba agent install` / `uninstall`: the installation's CA into the browsers' trust (NSS databases on
 * Linux, the login keychain on macOS) and the agent into the session's autostart, for the current user; and
 * all of it out again. Key files are never touched.
 */
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { createTranslator } from '@qoltanba/i18n';
import { defaultAgentDataDir, discoverTsaUrl, doctorMessages, installAgent, normalizeOrigin, uninstallAgent, type AgentConfig } from '@qoltanba/agent';
import { QtError } from '@qoltanba/pki';
import type { ContextFactory } from '../../context.ts';
import { printResult } from '../../output.ts';
import { withExamples } from '../../help.ts';
import { collect } from './run.ts';
import { cliLocale } from './locale.ts';

/** The CLI's own entry point: what autostart runs. */
const BIN = fileURLToPath(new URL('../../../bin/qoltanba.mjs', import.meta.url));

interface InstallFlags {
  dataDir?: string;
  ca?: string;
  tsaUrl?: string;
  keyDir?: string[];
  allowOrigin?: string[];
  start: boolean;
  autostart: boolean;
  rotateCa?: boolean;
  locale?: string;
}

export function registerAgentInstall(agent: Command, context: ContextFactory): void {
  const install = agent
    .command('install')
    .description("make the browsers trust this installation's agent (wss://127.0.0.1:13579) and start it with your session; no root needed")
    .option('--data-dir <dir>', "the agent's own folder (default: $QOLTANBA_AGENT_HOME or ~/.qoltanba-agent)")
    .option('--ca <url>', 'the Qoltanba CA you use, e.g. https://ca.example.kz: its time-stamping authority is found from it')
    .option('--tsa-url <url>', 'the RFC 3161 time-stamping authority, when not found from --ca')
    .option('--key-dir <dir>', 'folder whose .p12 key files are offered; repeatable (saved for the autostarted agent)', collect)
    .option('--allow-origin <origin>', 'a site allowed without asking; repeatable (others are asked about in the agent page)', collect)
    .option('--no-start', 'do not start the agent now (it starts at the next login)')
    .option('--no-autostart', 'do not register autostart (trust only)')
    .option('--rotate-ca', "make a new local CA and move the browsers' trust to it")
    .addOption(new Option('--locale <locale>', 'language of the messages').choices(['kk', 'ru', 'en', 'kz']))
    .action(async (flags: InstallFlags) => {
      const ctx = context();
      const dataDir = flags.dataDir ? ctx.path(flags.dataDir) : defaultAgentDataDir(ctx.env);
      const t = createTranslator(doctorMessages, cliLocale(flags.locale, ctx.env));
      for (const o of flags.allowOrigin ?? []) if (!normalizeOrigin(o)) throw new QtError('QT_ERR_INPUT_INVALID', `Not a web origin (https://host[:port]): ${o}`);
      const tsaUrl = flags.tsaUrl ?? (flags.ca ? await discoverTsaUrl(flags.ca) : undefined);
      const config: AgentConfig = {
        caUrl: flags.ca,
        tsaUrl,
        keyDirs: flags.keyDir?.map((d) => ctx.path(d)),
        allowedOrigins: flags.allowOrigin,
        locale: flags.locale,
      };
      const report = await installAgent({
        dataDir,
        command: [process.execPath, BIN, 'agent', '--data-dir', dataDir],
        start: flags.start,
        autostart: flags.autostart,
        rotateCa: flags.rotateCa,
        config,
        env: ctx.env,
      });
      const list = report.keychain ? 'login keychain' : report.trustedIn.map((d) => (d.browser === 'chromium' ? d.dir : `Firefox ${d.label}`)).join(', ');
      printResult(ctx, { dataDir, tsaUrl: tsaUrl ?? null, ...report }, `${t.t('install.done', { list, autostart: report.autostart ? `${report.autostart.kind} (${report.autostart.file})` : '—' })}\n${t.t('install.restartBrowser')}`);
    });
  withExamples(install, [
    ['for the CA you get your keys from (its time-stamps are used)', 'qoltanba agent install --ca https://ca.example.kz'],
    ['key files from another folder, and a TSA by its address', 'qoltanba agent install --key-dir ~/keys --tsa-url https://tsa.example.kz/tsp'],
    ['a new local CA (e.g. after the computer changed hands)', 'qoltanba agent install --rotate-ca'],
  ]);

  const uninstall = agent
    .command('uninstall')
    .description("take the agent out of the browsers' trust and the autostart again (key files stay)")
    .option('--data-dir <dir>', "the agent's own folder (default: $QOLTANBA_AGENT_HOME or ~/.qoltanba-agent)")
    .addOption(new Option('--locale <locale>', 'language of the messages').choices(['kk', 'ru', 'en', 'kz']))
    .action(async (flags: { dataDir?: string; locale?: string }) => {
      const ctx = context();
      const dataDir = flags.dataDir ? ctx.path(flags.dataDir) : defaultAgentDataDir(ctx.env);
      const t = createTranslator(doctorMessages, cliLocale(flags.locale, ctx.env));
      const report = await uninstallAgent({ dataDir, env: ctx.env });
      printResult(ctx, { dataDir, ...report }, t.t('uninstall.done', { dataDir }));
    });
  withExamples(uninstall, ['qoltanba agent uninstall']);
}
