/**
 * `qoltanba agent doctor`: each piece a site needs, checked where it lives (not in install's notes): the
 * installation's CA, the agent answering on its port with a certificate from that CA, that CA in each
 * browser's trust store, the autostart entry, the key folders, the time-stamping authority. Every problem
 * comes with what to do about it, in the person's language; `--json` gives the same facts to scripts.
 */
import { constants } from 'node:fs';
import { access, readdir } from 'node:fs/promises';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { createTranslator, formatDate, type Locale, type Params } from '@qoltanba/i18n';
import { readAgentConfig } from '../config.ts';
import { fingerprintOf, readLocalCaCertificate } from '../tls/local-ca.ts';
import { autostartProgram, findAutostart } from './autostart.ts';
import { inKeychain } from './keychain.ts';
import { doctorMessages } from './messages.ts';
import { certutilAvailable, databaseExists, exportCertificate, findNssDatabases, nicknameFor } from './nss.ts';
import { userPaths } from './paths.ts';
import { probeTsa, type TsaProbe } from '../tsa/probe.ts';

export type CheckId = 'ca' | 'listening' | 'trust' | 'autostart' | 'keys' | 'tsa';

export interface DoctorCheck {
  id: CheckId;
  ok: boolean;
  /** What was found, in the chosen language. */
  text: string;
  /** What to do, when not ok. */
  fix?: string;
  /** The same facts for scripts (paths, states). */
  facts: Record<string, unknown>;
}

export interface DoctorReport {
  ok: boolean;
  locale: Locale;
  dataDir: string;
  checks: DoctorCheck[];
}

export interface DoctorOptions {
  dataDir: string;
  port: number;
  locale: Locale;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Asks the TSA for a real stamp (default: tsa/probe.ts); false: only report the configured address. */
  probeTsa?: ((url: string) => Promise<TsaProbe>) | false;
}

type Listening = { state: 'ok' | 'down' | 'other' | 'unknown'; error?: string };

/** A TLS handshake that must verify against this installation's CA, then a page only the agent serves. */
function probeAgent(port: number, ca: string | undefined): Promise<Listening> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ca, rejectUnauthorized: ca !== undefined, timeout: 5000 });
    const done = (r: Listening) => {
      socket.destroy();
      resolve(r);
    };
    socket.once('secureConnect', () => {
      let response = '';
      socket.on('data', (d: Buffer) => {
        response += d.toString('latin1');
        if (response.includes('\r\n\r\n')) done({ state: /^HTTP\/1\.1 200/.test(response) && /content-type: text\/css/i.test(response) ? (ca ? 'ok' : 'unknown') : 'other' });
      });
      socket.write(`GET /consent/assets/consent.css HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    });
    socket.once('timeout', () => done({ state: 'other', error: 'timeout' }));
    socket.once('error', (e: NodeJS.ErrnoException) => done({ state: e.code === 'ECONNREFUSED' ? 'down' : 'other', error: e.code ?? e.message }));
  });
}

async function readable(dir: string): Promise<boolean> {
  try {
    await access(dir, constants.R_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const t = createTranslator(doctorMessages, options.locale);
  const say = (key: string, params?: Params) => t.t(key, params);
  const paths = userPaths(options.env);
  const platform = options.platform ?? process.platform;
  const config = await readAgentConfig(options.dataDir);
  const checks: DoctorCheck[] = [];

  // The installation's CA.
  const caPem = await readLocalCaCertificate(join(options.dataDir, 'tls'));
  const fingerprint = caPem ? fingerprintOf(caPem) : undefined;
  checks.push(
    caPem && fingerprint
      ? { id: 'ca', ok: true, text: say('ca.ok', { fingerprint: fingerprint.slice(0, 16), until: formatDate(options.locale, new Date(new X509Certificate(caPem).validTo)) }), facts: { fingerprint } }
      : { id: 'ca', ok: false, text: say('ca.missing'), fix: say('fix.install'), facts: {} },
  );

  // Listening, with our certificate.
  const listening = await probeAgent(options.port, caPem);
  const listenText = { ok: 'listening.ok', unknown: 'listening.ok', down: 'listening.down', other: 'listening.other' }[listening.state];
  checks.push({
    id: 'listening',
    ok: listening.state === 'ok',
    text: say(listenText, { port: String(options.port) }),
    fix: listening.state === 'ok' ? undefined : listening.state === 'down' ? say('fix.start') : caPem ? say('fix.other', { port: String(options.port) }) : say('fix.install'),
    facts: { port: options.port, state: listening.state, ...(listening.error ? { error: listening.error } : {}) },
  });

  // Browser trust.
  if (platform === 'darwin') {
    const trusted = await inKeychain(paths);
    checks.push(trusted ? { id: 'trust', ok: true, text: say('trust.ok', { list: 'login keychain' }), facts: { keychain: true } } : { id: 'trust', ok: false, text: say('trust.missing', { list: 'login keychain' }), fix: say('fix.trust'), facts: { keychain: false } });
  } else if (!(await certutilAvailable())) {
    checks.push({ id: 'trust', ok: false, text: say('trust.noCertutil'), fix: say('fix.certutil'), facts: { certutil: false } });
  } else {
    const dbs = findNssDatabases(paths).filter(databaseExists);
    const states = await Promise.all(
      dbs.map(async (db) => {
        const pem = fingerprint ? await exportCertificate(db, nicknameFor(fingerprint)) : undefined;
        const trusted = pem !== undefined && fingerprint !== undefined && fingerprintOf(pem) === fingerprint;
        return { dir: db.dir, browser: db.browser, label: db.label, trusted };
      }),
    );
    const name = (s: { browser: string; label: string }) => (s.browser === 'chromium' ? 'Chromium/Chrome' : `Firefox (${s.label})`);
    const missing = states.filter((s) => !s.trusted);
    if (states.length === 0) checks.push({ id: 'trust', ok: false, text: say('trust.none'), fix: say('fix.trust'), facts: { databases: [] } });
    else if (missing.length > 0) checks.push({ id: 'trust', ok: false, text: say('trust.missing', { list: missing.map(name).join(', ') }), fix: say('fix.trust'), facts: { databases: states } });
    else checks.push({ id: 'trust', ok: true, text: say('trust.ok', { list: states.map(name).join(', ') }), facts: { databases: states } });
  }

  // Autostart.
  const autostart = await findAutostart(paths, platform);
  if (!autostart) {
    checks.push({ id: 'autostart', ok: false, text: say('autostart.missing'), fix: say('fix.install'), facts: { registered: false } });
  } else {
    const program = autostartProgram(autostart);
    const exists = program !== undefined && (await access(program, constants.X_OK).then(() => true, () => false));
    const facts = { registered: true, kind: autostart.kind, file: autostart.file, enabled: autostart.enabled, program };
    if (!exists) checks.push({ id: 'autostart', ok: false, text: say('autostart.broken', { file: autostart.file, program: program ?? '?' }), fix: say('fix.install'), facts });
    else if (!autostart.enabled) checks.push({ id: 'autostart', ok: false, text: say('autostart.disabled', { file: autostart.file }), fix: say('fix.install'), facts });
    else checks.push({ id: 'autostart', ok: true, text: say('autostart.ok', { kind: autostart.kind, file: autostart.file }), facts });
  }

  // Key folders.
  const keyDirs = config.keyDirs ?? [config.newKeysDir ?? join(options.dataDir, 'keys')];
  const unreadable: string[] = [];
  let count = 0;
  for (const dir of keyDirs) {
    if (!(await readable(dir))) {
      unreadable.push(dir);
      continue;
    }
    count += (await readdir(dir)).filter((f) => /\.(p12|pfx)$/i.test(f)).length;
  }
  checks.push(
    unreadable.length > 0
      ? { id: 'keys', ok: false, text: say('keys.missing', { dirs: unreadable.join(', ') }), fix: say('fix.keys', { dir: unreadable[0] as string }), facts: { keyDirs, missing: unreadable } }
      : { id: 'keys', ok: true, text: say('keys.ok', { count, dirs: keyDirs.join(', ') }), facts: { keyDirs, keyFiles: count } },
  );

  // Time-stamping authority.
  if (!config.tsaUrl) {
    checks.push({ id: 'tsa', ok: false, text: say('tsa.missing'), fix: say('fix.tsa'), facts: { configured: false } });
  } else if (options.probeTsa === false) {
    checks.push({ id: 'tsa', ok: true, text: say('tsa.configured', { url: config.tsaUrl }), facts: { configured: true, url: config.tsaUrl, probed: false } });
  } else {
    const probe = await (options.probeTsa ?? probeTsa)(config.tsaUrl);
    checks.push(
      probe.ok
        ? { id: 'tsa', ok: true, text: say('tsa.ok', { url: config.tsaUrl, ms: Math.round(probe.ms ?? 0) }), facts: { configured: true, url: config.tsaUrl, reachable: true, ms: probe.ms } }
        : { id: 'tsa', ok: false, text: say('tsa.down', { url: config.tsaUrl, reason: probe.reason ?? '' }), fix: say('fix.tsaDown'), facts: { configured: true, url: config.tsaUrl, reachable: false, reason: probe.reason } },
    );
  }

  return { ok: checks.every((c) => c.ok), locale: options.locale, dataDir: options.dataDir, checks };
}

/** The report for people: one line per check, the fix under each problem. */
export function formatDoctorReport(report: DoctorReport): string {
  const t = createTranslator(doctorMessages, report.locale);
  const problems = report.checks.filter((c) => !c.ok).length;
  const lines = [t.t('doctor.title'), ''];
  for (const c of report.checks) {
    lines.push(`${c.ok ? '✔' : '✘'} ${t.t(`check.${c.id}`)}: ${c.text}`);
    if (c.fix) lines.push(`    → ${t.t('doctor.fix')}: ${c.fix}`);
  }
  lines.push('', problems === 0 ? t.t('doctor.allGood') : t.t('doctor.problems', { count: problems }));
  return `${lines.join('\n')}\n`;
}
