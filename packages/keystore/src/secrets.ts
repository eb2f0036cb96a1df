/**
 * Where passphrases and PINs come from: `env:NAME` or `file:/path` (RFC 7512's pin-source, and the
 * CLI's QOLTANBA_PASSPHRASE / --passphrase-file). Messages name the source, never the secret, so an
 * error can be logged as it is.
 */
import { readFileSync } from 'node:fs';
import { QtError } from '@qoltanba/pki';

/** `env:NAME` or `file:/absolute/or/relative/path`. */
export type SecretSource = `env:${string}` | `file:${string}`;

export function isSecretSource(text: string): text is SecretSource {
  return /^env:[A-Za-z_][A-Za-z0-9_]*$/.test(text) || /^file:.+/.test(text);
}

/** Reads the secret; an unset variable, an empty value or an unreadable file is QT_ERR_SECRET_MISSING. */
export function readSecret(source: SecretSource, what: 'passphrase' | 'PIN'): string {
  if (source.startsWith('env:')) {
    const name = source.slice(4);
    const value = process.env[name];
    if (!value) throw new QtError('QT_ERR_SECRET_MISSING', `No ${what}: the environment variable ${name} is not set`);
    return value;
  }
  if (source.startsWith('file:')) {
    const path = source.slice(5);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const reason = (e as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new QtError('QT_ERR_SECRET_MISSING', `No ${what}: the file ${path} cannot be read (${reason})`);
    }
    // Files written by `echo` or an editor end in a newline that is not part of the secret.
    const value = text.replace(/\r?\n$/, '');
    if (!value) throw new QtError('QT_ERR_SECRET_MISSING', `No ${what}: the file ${path} is empty`);
    return value;
  }
  throw new QtError('QT_ERR_KEYSTORE_CONFIG', `A ${what} source must be env:NAME or file:PATH`);
}
