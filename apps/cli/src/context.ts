/** What every command needs to know about its invocation: where the data lives, how to print, the passphrase. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { QtError } from '@qoltanba/pki';
import type { LocalAdminContext, ServerConfig, Store } from '@qoltanba/server';

export interface GlobalOptions {
  home?: string;
  json?: boolean;
  passphraseFile?: string;
}

/**
 * The running server a command is executed inside (through the admin socket, see ../admin): its own store
 * and services, so the command neither opens the embedded database a second time nor a second signer.
 */
export interface StoreHost {
  /** The data directory the server holds (commands for another one are refused). */
  readonly home: string;
  readonly config: ServerConfig;
  readonly store: Store;
  /** The server's RA and status service over its own signer (testMode: an RA that accepts NCA's test IINs). */
  localAdmin(options: { testMode?: boolean }): LocalAdminContext;
}

/** How a command line is run: its output streams, environment and directory, and the server it runs inside. */
export interface Io {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
  /** The directory relative paths are relative to (default: process.cwd()). */
  cwd?: string;
  /** Set by the admin socket: the command runs inside this running server. */
  host?: StoreHost;
}

/** Runs a whole command line in this process (program.ts's runCli); `up` hands it to its admin socket. */
export type RunCli = (argv: string[], io: Io) => Promise<number>;

/** A command's way to its context, made on first use (program.ts); the commands are given it when registered. */
export type ContextFactory = () => CliContext;

export interface CliContext {
  home: string;
  json: boolean;
  /** Reads the CA passphrase lazily (only commands that open keys ask), from a file or QOLTANBA_PASSPHRASE. */
  passphrase(): string;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** --passphrase-file, when given (the server reads the file itself). */
  passphraseFile: string | undefined;
  /** A command that reports a negative verdict (e.g. `verify` of a bad signature) sets 1 here. */
  exitCode: number;
  /**
   * The directory the command was typed in. Relative file names resolve against it — never against
   * process.cwd(), which inside the server (admin socket) is the server's directory, not the caller's.
   */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** A path given by the caller, made absolute against `cwd`. */
  path(p: string): string;
  /** Set when this command runs inside the running server (admin socket); undefined in a plain CLI process. */
  host: StoreHost | undefined;
}

export function defaultHome(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return resolve(cwd, env.QOLTANBA_HOME ?? '.qoltanba');
}

export interface ContextIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  cwd?: string;
  host?: StoreHost;
}

export function createContext(opts: GlobalOptions, io: ContextIo, env = process.env): CliContext {
  const cwd = io.cwd ?? process.cwd();
  const path = (p: string) => resolve(cwd, p);
  const passphraseFile = opts.passphraseFile ? path(opts.passphraseFile) : undefined;
  return {
    home: opts.home ? path(opts.home) : defaultHome(env, cwd),
    json: Boolean(opts.json),
    passphrase() {
      if (passphraseFile) {
        const text = readFileSync(passphraseFile, 'utf8').replace(/\r?\n$/, '');
        if (!text) throw new QtError('QT_ERR_INPUT_INVALID', `The passphrase file ${passphraseFile} is empty`);
        return text;
      }
      const fromEnv = env.QOLTANBA_PASSPHRASE;
      if (fromEnv) return fromEnv;
      throw new QtError(
        'QT_ERR_INPUT_INVALID',
        'The CA passphrase is needed: set QOLTANBA_PASSPHRASE or pass --passphrase-file <file>',
      );
    },
    out: io.out,
    err: io.err,
    passphraseFile,
    exitCode: 0,
    cwd,
    env,
    path,
    host: io.host,
  };
}
