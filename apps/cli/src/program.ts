/** The `qoltanba` command tree. Each command lives in commands/ and registers itself here. */
import { Command } from 'commander';
import { createContext, type CliContext, type GlobalOptions } from './context.ts';
import { reportError } from './errors.ts';
import { registerCommands } from './commands/index.ts';

export interface Io {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
}

export function buildProgram(io: Io): { program: Command; context: () => CliContext } {
  const program = new Command('qoltanba')
    .description('Qoltanba — EDS (ЭЦП) keys for citizens: certificate authority, verification, agent, portal')
    .option('--home <dir>', 'data directory (default: $QOLTANBA_HOME or ./.qoltanba)')
    .option('--json', 'print machine-readable JSON')
    .option('--passphrase-file <file>', 'file holding the CA key passphrase (default: $QOLTANBA_PASSPHRASE)')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out.write(s),
      writeErr: (s) => io.err.write(s),
    });
  let ctx: CliContext | undefined;
  const context = (): CliContext => (ctx ??= createContext(program.opts<GlobalOptions>(), io, io.env ?? process.env));
  registerCommands(program, context);
  // Sub-commands inherit the output routing and exit behaviour, so `--help` and usage errors never call process.exit.
  const inherit = (cmd: Command): void => {
    for (const sub of cmd.commands) {
      sub.exitOverride().configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) });
      sub.showHelpAfterError();
      inherit(sub);
    }
  };
  inherit(program);
  return { program, context };
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
    return reportError(e, ctx);
  }
}
