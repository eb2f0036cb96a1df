/**
 * Where the server's secrets come from. Production passes the CA key passphrase in (env or a file kept away
 * from the keys). The one-command start on a fresh machine has no one to ask, so it generates a random
 * passphrase once and keeps it in `$QOLTANBA_HOME/secrets/` (0600) — and says so loudly, because a passphrase
 * next to the keys protects them only against someone who copies the key files alone.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function secretsDir(home: string): string {
  return join(home, 'secrets');
}

/** Reads `$home/secrets/<name>`, creating it with `bytes` random bytes (base64url) when absent. */
export function ensureLocalSecret(home: string, name: string, bytes = 32): { path: string; created: boolean; value: string } {
  const dir = secretsDir(home);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const path = join(dir, name);
  if (existsSync(path)) return { path, created: false, value: readFileSync(path, 'utf8').trim() };
  const value = randomBytes(bytes).toString('base64url');
  writeFileSync(path, value + '\n', { mode: 0o600, flag: 'wx' });
  return { path, created: true, value };
}

export interface PassphraseSource {
  passphraseFile: string | undefined;
  passphraseEnv: string;
  /** Set when the development default (a generated file beside the keys) is in use. */
  developmentDefault: string | undefined;
  /** True only on the run that generated the development default: the one time to say so loudly. */
  generated: boolean;
}

/** The CA key passphrase: --passphrase-file, else $QOLTANBA_PASSPHRASE, else the generated development file. */
export function resolvePassphrase(home: string, env: NodeJS.ProcessEnv, passphraseFile: string | undefined, passphraseEnv = 'QOLTANBA_PASSPHRASE'): PassphraseSource {
  if (passphraseFile) return { passphraseFile, passphraseEnv, developmentDefault: undefined, generated: false };
  if (env[passphraseEnv]) return { passphraseFile: undefined, passphraseEnv, developmentDefault: undefined, generated: false };
  const generated = ensureLocalSecret(home, 'ca-passphrase');
  return { passphraseFile: generated.path, passphraseEnv, developmentDefault: generated.path, generated: generated.created };
}
