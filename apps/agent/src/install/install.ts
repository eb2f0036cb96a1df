/**
 * `qoltanba agent install` / `uninstall` for the current user, no root needed: the installation's CA goes
 * into every browser trust store found (and only there), the agent is registered to start with the session,
 * and what was created (a database, a folder) is noted in `<dataDir>/install.json`, so that `uninstall` puts
 * everything back as it was — an NSS database install had to create is removed again when nothing else has
 * been put into it since, folders it made are removed when empty. Key files and the agent's data are never
 * touched by uninstall.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, rmdir, writeFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { QtError } from '@qoltanba/pki';
import { updateAgentConfig, type AgentConfig } from '../config.ts';
import { fingerprintOf, loadOrCreateLocalTls, rotateLocalCa, type LocalTls } from '../tls/local-ca.ts';
import { findAutostart, registerAutostart, unregisterAutostart, type Autostart } from './autostart.ts';
import { addToKeychain, removeFromKeychain } from './keychain.ts';
import {
  addCa,
  certutilAvailable,
  createDatabase,
  databaseExists,
  databaseFiles,
  exportCertificate,
  findNssDatabases,
  listCertificates,
  nicknameFor,
  NICKNAME_PREFIX,
  removeCertificate,
  type NssDatabase,
} from './nss.ts';
import { userPaths } from './paths.ts';

interface ManifestDb extends NssDatabase {
  /** install made this database (and uninstall may remove it again when it holds nothing else). */
  created: boolean;
  /** The outermost folder install had to make for it, if any. */
  createdDir?: string;
}

export interface InstallManifest {
  version: 1;
  installedAt: string;
  caFingerprint: string;
  databases: ManifestDb[];
  autostart?: Autostart & { createdDir?: string };
  keychain?: boolean;
}

const manifestPath = (dataDir: string) => join(dataDir, 'install.json');

export async function readManifest(dataDir: string): Promise<InstallManifest | undefined> {
  try {
    return JSON.parse(await readFile(manifestPath(dataDir), 'utf8')) as InstallManifest;
  } catch {
    return undefined;
  }
}

export interface InstallOptions {
  dataDir: string;
  /** The command line the session runs (e.g. [node, qoltanba.mjs, "agent", "--data-dir", dir]). */
  command: readonly string[];
  /** Start the agent now (systemd/launchd); false for tests and packagers. */
  start: boolean;
  /** Register autostart (default true). */
  autostart?: boolean;
  /** Make a new local CA and move the browsers' trust to it. */
  rotateCa?: boolean;
  /** Settings to keep in <dataDir>/config.json. */
  config?: AgentConfig;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

export interface InstallReport {
  caFingerprint: string;
  trustedIn: { dir: string; browser: string; label: string; created: boolean }[];
  autostart?: Autostart;
  keychain: boolean;
}

/** mkdir -p that tells which folder was the outermost it had to make (undefined when all existed). */
async function makeDir(dir: string): Promise<string | undefined> {
  return mkdir(dir, { recursive: true });
}

/** Removes `inner` and its parents up to `outer` while they are empty (folders install made). */
async function removeEmptyDirs(inner: string, outer: string | undefined): Promise<void> {
  if (!outer) return;
  const rel = relative(outer, inner);
  if (rel.startsWith('..')) return;
  const chain = [outer, ...rel.split(sep).filter(Boolean).map((_, i, parts) => join(outer, ...parts.slice(0, i + 1)))].reverse();
  for (const dir of chain) {
    try {
      if ((await readdir(dir)).length > 0) return;
      await rmdir(dir);
    } catch {
      return;
    }
  }
}

async function trustIn(db: NssDatabase, nickname: string, caFile: string, fingerprint: string): Promise<void> {
  for (const entry of await listCertificates(db)) {
    if (entry.nickname.startsWith(NICKNAME_PREFIX) && entry.nickname !== nickname) await removeCertificate(db, entry.nickname);
  }
  const present = await exportCertificate(db, nickname);
  if (present && fingerprintOf(present) === fingerprint) return;
  if (present) await removeCertificate(db, nickname);
  await addCa(db, nickname, caFile);
}

export async function installAgent(options: InstallOptions): Promise<InstallReport> {
  const platform = options.platform ?? process.platform;
  const paths = userPaths(options.env);
  if (platform !== 'darwin' && !(await certutilAvailable())) {
    throw new QtError('QT_ERR_AGENT_INSTALL', 'certutil is not installed: install libnss3-tools (sudo apt install libnss3-tools), then run qoltanba agent install again');
  }
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const previous = await readManifest(options.dataDir);
  const tlsDir = join(options.dataDir, 'tls');
  const tls: LocalTls = options.rotateCa ? await rotateLocalCa(tlsDir) : await loadOrCreateLocalTls(tlsDir);
  const caFile = join(tlsDir, 'ca-cert.pem');
  const nickname = nicknameFor(tls.caFingerprint);
  if (options.config) await updateAgentConfig(options.dataDir, options.config);
  await mkdir(options.config?.newKeysDir ?? join(options.dataDir, 'keys'), { recursive: true, mode: 0o700 });

  const manifest: InstallManifest = {
    version: 1,
    installedAt: new Date().toISOString(),
    caFingerprint: tls.caFingerprint,
    databases: [...(previous?.databases ?? [])],
    autostart: previous?.autostart,
    keychain: previous?.keychain,
  };
  const noteDb = (db: NssDatabase, created: boolean, createdDir?: string) => {
    const known = manifest.databases.find((d) => d.dir === db.dir);
    if (known) return known;
    const entry: ManifestDb = { ...db, created, createdDir };
    manifest.databases.push(entry);
    return entry;
  };
  const report: InstallReport = { caFingerprint: tls.caFingerprint, trustedIn: [], keychain: false };
  const save = () => writeFile(manifestPath(options.dataDir), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });

  try {
    if (platform === 'darwin') {
      await addToKeychain(paths, caFile);
      manifest.keychain = true;
      report.keychain = true;
    } else {
      const [primary, ...others] = findNssDatabases(paths);
      for (const db of [primary as NssDatabase, ...others]) {
        let entry: ManifestDb;
        if (databaseExists(db)) {
          entry = noteDb(db, false);
        } else if (db === primary) {
          // Chromium makes ~/.pki/nssdb on its first start; a user who has not started it yet gets it now.
          const createdDir = await makeDir(db.dir);
          await createDatabase(db);
          entry = noteDb(db, true, createdDir);
          await save();
        } else {
          continue;
        }
        await trustIn(db, nickname, caFile, tls.caFingerprint);
        report.trustedIn.push({ dir: db.dir, browser: db.browser, label: db.label, created: entry.created });
      }
    }
    if (options.autostart !== false) {
      // Which folders are new must be known before registering makes them.
      const fresh = { xdg: outermostNew(paths.home, paths.autostartDir), systemd: outermostNew(paths.home, paths.systemdUserDir), launchd: outermostNew(paths.home, paths.launchAgentsDir) };
      const entry = await registerAutostart(paths, { command: options.command, start: options.start, platform });
      const earlier = previous?.autostart?.file === entry.file ? previous.autostart.createdDir : undefined;
      manifest.autostart = { ...entry, createdDir: earlier ?? fresh[entry.kind] };
      report.autostart = entry;
    }
  } finally {
    await save();
  }
  return report;
}

/** The outermost folder of `dir` below `home` that does not exist yet (what mkdir -p is about to create). */
function outermostNew(home: string, dir: string): string | undefined {
  const rel = relative(home, dir);
  if (rel.startsWith('..')) return undefined;
  const parts = rel.split(sep).filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const candidate = join(home, ...parts.slice(0, i));
    if (!existsSync(candidate)) return candidate;
  }
  return undefined;
}

export interface UninstallOptions {
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

export interface UninstallReport {
  removedFrom: string[];
  removedDatabases: string[];
  autostartRemoved: boolean;
}

export async function uninstallAgent(options: UninstallOptions): Promise<UninstallReport> {
  const platform = options.platform ?? process.platform;
  const paths = userPaths(options.env);
  const manifest = await readManifest(options.dataDir);
  const report: UninstallReport = { removedFrom: [], removedDatabases: [], autostartRemoved: false };

  if (platform === 'darwin') {
    await removeFromKeychain(paths);
  } else if (await certutilAvailable()) {
    const dbs = new Map<string, ManifestDb>();
    for (const db of findNssDatabases(paths)) if (databaseExists(db)) dbs.set(db.dir, { ...db, created: false });
    for (const db of manifest?.databases ?? []) if (databaseExists(db)) dbs.set(db.dir, db);
    for (const db of dbs.values()) {
      const ours = (await listCertificates(db)).filter((e) => e.nickname.startsWith(NICKNAME_PREFIX));
      for (const e of ours) await removeCertificate(db, e.nickname);
      if (ours.length > 0) report.removedFrom.push(db.dir);
      if (db.created && (await listCertificates(db)).length === 0) {
        for (const f of databaseFiles(db.dir)) await rm(join(db.dir, f), { force: true });
        await removeEmptyDirs(db.dir, db.createdDir);
        report.removedDatabases.push(db.dir);
      }
    }
  }

  const entry = manifest?.autostart ?? (await findAutostart(paths, platform));
  if (entry) {
    await unregisterAutostart(entry);
    const folder = entry.file.slice(0, entry.file.lastIndexOf(sep));
    await removeEmptyDirs(folder, manifest?.autostart?.createdDir);
    report.autostartRemoved = true;
  }
  // The CA is of no use once no browser trusts it; a new install makes a new one.
  await rm(join(options.dataDir, 'tls'), { recursive: true, force: true });
  await rm(manifestPath(options.dataDir), { force: true });
  return report;
}
