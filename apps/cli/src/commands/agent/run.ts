/**
 * `qoltanba agent`: the local signing agent on 127.0.0.1:13579, speaking NCALayer's protocol (wss:// with the
 * installation's local CA, ws:// beside it). Settings saved by `qoltanba agent install` in
 * <dataDir>/config.json are the defaults; flags win.
 */
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { commandOpener, defaultAgentDataDir, readAgentConfig, startAgent, DEFAULT_AGENT_PORT, type TokenModuleConfig } from '@qoltanba/agent';
import { normalizeLocale } from '@qoltanba/i18n';
import { QtError } from '@qoltanba/pki';
import type { ContextFactory } from '../../context.ts';
import { printResult } from '../../output.ts';
import { withExamples } from '../../help.ts';

interface AgentFlags {
  port: string;
  allowOrigin?: string[];
  keyDir?: string[];
  newKeysDir?: string;
  pkcs11?: string[];
  tokenStorage: string;
  tls?: boolean;
  plainWs?: boolean;
  tsaUrl?: string;
  open?: string;
  locale?: string;
  legacyKeyFiles?: boolean;
  dataDir?: string;
}

export const collect = (value: string, previous: string[] = []) => [...previous, value];
/** The portal of the one-command start; other sites are asked about in the agent's page. */
const DEFAULT_ORIGINS = ['http://127.0.0.1:8080', 'http://localhost:8080'];

export function configureAgentRun(cmd: Command, context: ContextFactory): void {
  cmd
    .option('--port <port>', 'port (NCALayer uses 13579)', String(DEFAULT_AGENT_PORT))
    .option('--allow-origin <origin>', `a site allowed without asking, e.g. https://portal.example.kz; repeatable (default: ${DEFAULT_ORIGINS.join(', ')}); other sites are asked about in the agent's page`, collect)
    .option('--key-dir <dir>', 'folder whose .p12 key files are offered; repeatable (default: <data-dir>/keys)', collect)
    .option('--new-keys-dir <dir>', 'where new key files are written (default: the first --key-dir)')
    .option('--pkcs11 <library>', 'PKCS#11 library of a token, e.g. /usr/lib/softhsm/libsofthsm2.so; repeatable', collect)
    .option('--token-storage <name>', 'NCALayer storage name tokens appear under', 'AKKaztokenStore')
    .option('--plain-ws', 'no wss://: plain ws:// only (wss:// with the local CA is the default, and ws:// is served beside it)')
    .addOption(new Option('--tls', 'wss:// (now the default; kept for old scripts)').hideHelp())
    .option('--tsa-url <url>', 'RFC 3161 time-stamping authority for time-stamped signatures (default: the one saved by agent install)')
    .option('--open <command>', 'command that shows the consent page, with {url} for its address (default: the system browser)')
    .addOption(new Option('--locale <locale>', 'language of the consent page').choices(['kk', 'ru', 'en', 'kz']))
    .option('--legacy-key-files', "write new key files in NCA's legacy encryption (3DES/RC2) for old software")
    .option('--data-dir <dir>', "the agent's own folder (default: $QOLTANBA_AGENT_HOME or ~/.qoltanba-agent)")
    .action(async (flags: AgentFlags) => {
      const ctx = context();
      if (ctx.host) throw new QtError('QT_ERR_INPUT_INVALID', 'The agent runs on the citizen\'s computer, not inside the server');
      const dataDir = flags.dataDir ? ctx.path(flags.dataDir) : defaultAgentDataDir(ctx.env);
      const saved = await readAgentConfig(dataDir);
      const keyDirs = flags.keyDir?.map((d) => ctx.path(d)) ?? saved.keyDirs ?? [join(dataDir, 'keys')];
      const allowedOrigins = flags.allowOrigin ?? saved.allowedOrigins ?? DEFAULT_ORIGINS;
      const tokens: TokenModuleConfig[] = flags.pkcs11 ? flags.pkcs11.map((library) => ({ library, storage: flags.tokenStorage })) : (saved.tokens ?? []);
      const openConsent = flags.open ? commandOpener(flags.open.split(' ')[0]!, flags.open.split(' ').slice(1)) : undefined;
      const tsaUrl = flags.tsaUrl ?? saved.tsaUrl;
      const agent = await startAgent({
        port: Number(flags.port),
        allowedOrigins,
        dataDir,
        keyDirs,
        newKeysDir: flags.newKeysDir ? ctx.path(flags.newKeysDir) : saved.newKeysDir,
        tokens,
        tls: !flags.plainWs,
        tsaUrl,
        openConsent,
        locale: normalizeLocale(flags.locale ?? saved.locale),
        legacyKeyFiles: flags.legacyKeyFiles,
      });
      printResult(ctx, { url: agent.url, secureUrl: agent.secureUrl, dataDir, keyDirs, tokens, tsaUrl: tsaUrl ?? null }, [
        ['Agent', `listening on ${agent.secureUrl ? `${agent.secureUrl} and ` : ''}${agent.url}`],
        ['Sites allowed without asking', allowedOrigins.join(', ')],
        ['Key files from', keyDirs.join(', ')],
        ['Tokens', tokens.length ? tokens.map((t) => `${t.library} as ${t.storage}`).join(', ') : 'none configured (--pkcs11 <library>)'],
        ['Time-stamps from', tsaUrl ?? 'no TSA configured (qoltanba agent install --ca <url> or --tsa-url <url>)'],
        ['Stop', 'Ctrl+C'],
      ]);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await agent.close();
    });
  withExamples(cmd, [
    'qoltanba agent',
    ['key files from a folder, for a portal at another address', 'qoltanba agent --key-dir ~/keys --allow-origin https://portal.example.kz'],
    ['keys on a token (PKCS#11) too', 'qoltanba agent --pkcs11 /usr/lib/softhsm/libsofthsm2.so'],
    ['plain ws:// only (an old page on http://, or a test)', 'qoltanba agent --plain-ws'],
    ['put it into the browsers and the session first (once)', 'qoltanba agent install'],
  ]);
}
