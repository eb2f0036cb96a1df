/**
 * The browsers' trust on Linux: the NSS databases Chromium (and Chrome, Brave, Opera…) read in
 * `~/.pki/nssdb` and each Firefox profile keeps for itself. They are edited with `certutil` from
 * libnss3-tools — never by hand: the databases are SQLite files the browsers may hold open.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { QtError } from '@qoltanba/pki';
import type { UserPaths } from './paths.ts';

const run = promisify(execFile);

/** Every Qoltanba CA carries this nickname prefix, so uninstall and rotation find old ones too. */
export const NICKNAME_PREFIX = 'Qoltanba agent local CA';

export function nicknameFor(fingerprint: string): string {
  return `${NICKNAME_PREFIX} ${fingerprint.slice(0, 16)}`;
}

export interface NssDatabase {
  /** The folder holding cert9.db / key4.db. */
  dir: string;
  browser: 'chromium' | 'firefox';
  /** Firefox: the profile's name; Chromium: "default". */
  label: string;
}

export async function certutilAvailable(): Promise<boolean> {
  try {
    await run('certutil', ['-H'], { timeout: 10_000 });
    return true;
  } catch (e) {
    // certutil -H prints its help and exits non-zero; only a missing program is "unavailable".
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

async function certutil(args: string[]): Promise<string> {
  try {
    const { stdout } = await run('certutil', args, { timeout: 30_000 });
    return stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      throw new QtError('QT_ERR_AGENT_INSTALL', 'certutil is not installed: install libnss3-tools (sudo apt install libnss3-tools)');
    }
    throw new QtError('QT_ERR_AGENT_INSTALL', `certutil ${args[0]} failed: ${(err.stderr ?? err.message).trim()}`);
  }
}

const sql = (db: NssDatabase | string) => `sql:${typeof db === 'string' ? db : db.dir}`;

/** Firefox profile folders, from each profiles.ini (regular, snap and flatpak installations). */
function firefoxProfiles(paths: UserPaths): NssDatabase[] {
  const found: NssDatabase[] = [];
  for (const root of paths.firefoxRoots) {
    const ini = join(root, 'profiles.ini');
    if (!existsSync(ini)) continue;
    let section: Record<string, string> = {};
    const sections: Record<string, string>[] = [];
    for (const line of readFileSync(ini, 'utf8').split(/\r?\n/)) {
      if (/^\s*\[/.test(line)) {
        section = {};
        sections.push(section);
      } else {
        const m = /^\s*([^=]+?)\s*=\s*(.*?)\s*$/.exec(line);
        if (m) section[m[1] as string] = m[2] as string;
      }
    }
    for (const s of sections) {
      if (!s.Path) continue;
      const dir = s.IsRelative === '0' ? s.Path : join(root, s.Path);
      // A profile Firefox has opened once has cert9.db; one that never ran gets its database when it starts
      // (and would not see ours), so only existing databases are touched.
      if (existsSync(join(dir, 'cert9.db'))) found.push({ dir, browser: 'firefox', label: s.Name ?? s.Path });
    }
  }
  return found;
}

/** Chromium's shared database (whether it exists yet or not) and every Firefox profile's. */
export function findNssDatabases(paths: UserPaths): NssDatabase[] {
  const chromium: NssDatabase[] = paths.chromiumDbs.map((dir) => ({ dir, browser: 'chromium', label: 'default' }));
  return [...chromium, ...firefoxProfiles(paths)];
}

export function databaseExists(db: NssDatabase): boolean {
  return existsSync(join(db.dir, 'cert9.db'));
}

/** Makes an empty database with no password (what Chromium itself would make on first start). */
export async function createDatabase(db: NssDatabase): Promise<void> {
  await certutil(['-N', '-d', sql(db), '--empty-password']);
}

export interface NssEntry {
  nickname: string;
  trust: string;
}

/** `certutil -L`: nickname and trust flags of each certificate in the database. */
export async function listCertificates(db: NssDatabase | string): Promise<NssEntry[]> {
  const out = await certutil(['-L', '-d', sql(db)]);
  const entries: NssEntry[] = [];
  for (const line of out.split('\n')) {
    const m = /^(.*\S)\s+([a-zA-Z]*,[a-zA-Z]*,[a-zA-Z]*)\s*$/.exec(line);
    if (m && !/^Certificate Nickname/.test(line)) entries.push({ nickname: m[1] as string, trust: m[2] as string });
  }
  return entries;
}

/** Trusted for TLS servers only ("C,,"): the CA cannot vouch for e-mail or code. */
export async function addCa(db: NssDatabase, nickname: string, caFile: string): Promise<void> {
  await certutil(['-A', '-d', sql(db), '-n', nickname, '-t', 'C,,', '-i', caFile]);
}

export async function removeCertificate(db: NssDatabase, nickname: string): Promise<void> {
  // Several entries may share a nickname; delete until none is left (bounded, in case certutil misbehaves).
  for (let i = 0; i < 8; i++) {
    const present = (await listCertificates(db)).some((e) => e.nickname === nickname);
    if (!present) return;
    await certutil(['-D', '-d', sql(db), '-n', nickname]);
  }
}

/** The PEM stored under a nickname, or undefined. */
export async function exportCertificate(db: NssDatabase, nickname: string): Promise<string | undefined> {
  try {
    return await certutil(['-L', '-d', sql(db), '-n', nickname, '-a']);
  } catch {
    return undefined;
  }
}

/** The files an NSS database consists of (what install may have created and uninstall removes). */
export function databaseFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => /^(cert9\.db|key4\.db|pkcs11\.txt|cert8\.db|key3\.db|secmod\.db)(-journal|-wal|-shm)?$/.test(f));
}
