/** What every command needs to know about its invocation: where the data lives, how to print, the passphrase. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { QtError } from '@qoltanba/pki';

export interface GlobalOptions {
  home?: string;
  json?: boolean;
  passphraseFile?: string;
}

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
}

export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.QOLTANBA_HOME ?? '.qoltanba');
}

export function createContext(opts: GlobalOptions, io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream }, env = process.env): CliContext {
  return {
    home: resolve(opts.home ?? defaultHome(env)),
    json: Boolean(opts.json),
    passphrase() {
      if (opts.passphraseFile) {
        const text = readFileSync(opts.passphraseFile, 'utf8').replace(/\r?\n$/, '');
        if (!text) throw new QtError('QT_ERR_INPUT_INVALID', `The passphrase file ${opts.passphraseFile} is empty`);
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
    passphraseFile: opts.passphraseFile ? resolve(opts.passphraseFile) : undefined,
    exitCode: 0,
  };
}
