/** The `qoltanba` command tree. Each command lives in commands/ and registers itself here. */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { VERSION } from '@qoltanba/server';
import { createContext, type CliContext, type GlobalOptions, type Io } from './context.ts';
import { reportError } from './errors.ts';
import { registerCommands } from './commands/index.ts';
import { helpHint, withExamples } from './help.ts';
import { RunInServer } from './home-store.ts';
import { runThroughServer } from './admin/client.ts';

export function buildProgram(io: Io): { program: Command; context: () => CliContext } {
  const program = new Command('qoltanba')
    .description('Qoltanba — EDS (ЭЦП) keys for citizens: certificate authority, verification, agent, portal')
    .version(`qoltanba ${VERSION}`, '-V, --version', 'print the version')
    .option('--home <dir>', 'data directory (default: $QOLTANBA_HOME or ./.qoltanba)')
    .option('--json', 'print machine-readable JSON')
    .option('--passphrase-file <file>', 'file holding the CA key passphrase (default: $QOLTANBA_PASSPHRASE)');
  withExamples(program, [
    ['start everything on this machine (embedded database, CA ceremony on the first run)', 'qoltanba up'],
    'qoltanba issue --csr request.csr --profile individual-sign --iin 880314440014 --name "АХМЕТОВА АЙГЕРІМ МАРАТҚЫЗЫ"',
    'qoltanba --json status 0CF283BC6A1D44E2',
    'qoltanba verify signed.cms --content document.pdf',
  ]);
  let ctx: CliContext | undefined;
  const context = (): CliContext =>
    (ctx ??= createContext(program.opts<GlobalOptions>(), { out: io.out, err: io.err, cwd: io.cwd, host: io.host }, io.env ?? process.env));
  registerCommands(program, context, runCli);
  finishTree(program, io);
  // File and directory arguments are made absolute against the caller's directory before any action runs, so
  // a command means the same files in this process and inside the server (admin socket) — commands added
  // later included, as long as they name such values <file> or <dir>.
  program.hook('preAction', (_root, action) => absolutePaths(action, context().cwd));
  return { program, context };
}

/**
 * Every command: output to our streams, errors thrown instead of process.exit (so tests and the admin
 * socket run the CLI in-process), a usage mistake as one line plus where to read more (exit 2), and a
 * group of commands (`ca`, `token`, …) given no sub-command says which exist rather than dumping its help.
 */
function finishTree(cmd: Command, io: Io): void {
  cmd.exitOverride().configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) });
  cmd.showHelpAfterError(helpHint(cmd));
  if (cmd.commands.length > 0 && cmd.parent) {
    const names = cmd.commands.map((c) => c.name()).join(', ');
    cmd.allowExcessArguments(true).action((_opts: unknown, self: Command) => {
      self.error(self.args.length ? `error: unknown command '${self.args[0]}' (commands: ${names})` : `error: missing command (commands: ${names})`);
    });
  }
  for (const sub of cmd.commands) finishTree(sub, io);
}

const PATH_VALUE = /[<[](file|dir)(\.\.\.)?[>\]]/;

function absolutePaths(cmd: Command, cwd: string): void {
  for (const option of cmd.options) {
    if (!PATH_VALUE.test(option.flags)) continue;
    const key = option.attributeName();
    const value: unknown = cmd.getOptionValue(key);
    const source = cmd.getOptionValueSource(key);
    if (typeof value === 'string') cmd.setOptionValueWithSource(key, resolve(cwd, value), source);
    else if (Array.isArray(value)) cmd.setOptionValueWithSource(key, value.map((v: unknown) => (typeof v === 'string' ? resolve(cwd, v) : v)), source);
  }
  const args = cmd.processedArgs as unknown[];
  cmd.registeredArguments.forEach((argument, i) => {
    if (!/^(file|dir)s?$/.test(argument.name())) return;
    const value = args[i];
    if (typeof value === 'string') args[i] = resolve(cwd, value);
    else if (Array.isArray(value)) args[i] = value.map((v: unknown) => (typeof v === 'string' ? resolve(cwd, v) : v));
  });
}

/** Runs the CLI and returns the exit code (never calls process.exit, so tests can run it in-process). */
export async function runCli(argv: string[], io: Io): Promise<number> {
  const { program, context } = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return context().exitCode;
  } catch (e) {
    let ctx: Pick<CliContext, 'json' | 'err' | 'out'>;
    try {
      ctx = context();
    } catch {
      ctx = { json: argv.includes('--json'), out: io.out, err: io.err };
    }
    if (e instanceof RunInServer) {
      const c = context();
      try {
        return await runThroughServer(e.socket, { argv, cwd: c.cwd, home: c.home, tty: ttyOf(io) }, io);
      } catch (relayError) {
        return reportError(relayError, ctx);
      }
    }
    return reportError(e, ctx);
  }
}

function ttyOf(io: Io): { out: boolean; err: boolean; columns?: number } {
  const out = io.out as NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  const err = io.err as NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  return { out: out.isTTY === true, err: err.isTTY === true, columns: err.columns ?? out.columns };
}
