/**
 * A data directory for a CLI test: a passphrase file, the server tests' ceremony plan with 2048-bit keys (the
 * default 4096-bit keys cost the ceremony minutes on a busy machine, and no CLI test is about key size), and
 * `work/`, the caller's own directory where relative file names live.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ceremonyPlan } from '@qoltanba/server/testing';

export interface TestHome {
  home: string;
  passphraseFile: string;
  cwd: string;
}

export function makeTestHome(prefix: string): TestHome {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const passphraseFile = join(home, 'passphrase.txt');
  writeFileSync(passphraseFile, 'a passphrase for the cli test\n');
  writeTestCeremony(home);
  const cwd = join(home, 'work');
  mkdirSync(cwd);
  return { home, passphraseFile, cwd };
}

/** The ceremony plan alone, into a directory the test made itself. */
export function writeTestCeremony(home: string): void {
  writeFileSync(join(home, 'ceremony.json'), JSON.stringify(ceremonyPlan(2048), null, 2));
}
