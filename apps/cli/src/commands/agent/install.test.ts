/**
 * `qoltanba agent install | uninstall | doctor` against a throwaway HOME: real certutil on real NSS databases
 * (Chromium's ~/.pki/nssdb and a Firefox profile), the XDG autostart folder (this machine has no systemd user
 * manager), and a real agent on a free port for doctor. Uninstall must leave every database and folder as it
 * was: the same `certutil -L` and the same files.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer as createTlsServer } from 'node:tls';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { autostartProgram, desktopEntry, startAgent, systemdUnit, type DoctorReport } from '@qoltanba/agent';
import { runQoltanba } from '../../testing/run.ts';
import { startTestTsa } from '@qoltanba/agent/testing';

const run = promisify(execFile);

async function certutilList(dir: string): Promise<string> {
  return (await run('certutil', ['-L', '-d', `sql:${dir}`])).stdout;
}

/** Every file and folder under `root` (relative), except the agent's own data folder. */
async function tree(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      const rel = relative(root, path);
      if (rel === '.qoltanba-agent') continue;
      out.push(e.isDirectory() ? `${rel}/` : rel);
      if (e.isDirectory()) await walk(path);
    }
  }
  await walk(root);
  return out.sort();
}

async function makeFirefoxProfile(home: string): Promise<string> {
  const root = join(home, '.mozilla', 'firefox');
  const profile = join(root, 'x1y2z3.default-release');
  await mkdir(profile, { recursive: true });
  await writeFile(join(root, 'profiles.ini'), '[General]\nStartWithLastProfile=1\n\n[Profile0]\nName=default-release\nIsRelative=1\nPath=x1y2z3.default-release\nDefault=1\n');
  await run('certutil', ['-N', '-d', `sql:${profile}`, '--empty-password']);
  return profile;
}

/** A CA the user trusted on their own before (a company's, say): it must survive install and uninstall. */
async function addForeignCa(home: string, db: string): Promise<void> {
  const key = join(home, 'corp.key');
  const cert = join(home, 'corp.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', '/CN=Corp Root', '-addext', 'basicConstraints=critical,CA:TRUE']);
  await run('certutil', ['-A', '-d', `sql:${db}`, '-n', 'Corp Root', '-t', 'C,,', '-i', cert]);
  await rm(key);
  await rm(cert);
}

const checkOf = (report: DoctorReport, id: string) => report.checks.find((c) => c.id === id) as DoctorReport['checks'][number];

describe('qoltanba agent install / uninstall / doctor for the current user', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  const q = (...args: string[]) => runQoltanba(args, env);

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'qt-agent-home-'));
    env = { ...process.env, HOME: home, XDG_CONFIG_HOME: '', QOLTANBA_AGENT_HOME: '', LANG: 'ru_RU.UTF-8', LC_ALL: '', LC_MESSAGES: '' };
  });
  after(() => rm(home, { recursive: true, force: true }));

  test('on a fresh account: install creates Chromium\'s database and trusts the CA there and in Firefox; uninstall leaves every file as it was', async () => {
    const profile = await makeFirefoxProfile(home);
    const firefoxBefore = await certutilList(profile);
    const filesBefore = await tree(home);
    assert.ok(!existsSync(join(home, '.pki')) && !existsSync(join(home, '.config')));

    const installed = await q('--json', 'agent', 'install', '--no-start');
    assert.equal(installed.code, 0, installed.stderr);
    const report = JSON.parse(installed.stdout) as { caFingerprint: string; trustedIn: { dir: string; browser: string; created: boolean }[]; autostart: { kind: string; file: string } };
    assert.deepEqual(report.trustedIn.map((d) => [d.browser, d.created]), [['chromium', true], ['firefox', false]]);
    const nickname = `Qoltanba agent local CA ${report.caFingerprint.slice(0, 16)}`;
    for (const db of [join(home, '.pki', 'nssdb'), profile]) {
      assert.match(await certutilList(db), new RegExp(`${nickname}\\s+C,,\\s*$`, 'm'));
      // The trusted certificate is the installation's CA, byte for byte.
      const pem = (await run('certutil', ['-L', '-d', `sql:${db}`, '-n', nickname, '-a'])).stdout.replace(/\r/g, '');
      assert.equal(pem.trim(), (await readFile(join(home, '.qoltanba-agent', 'tls', 'ca-cert.pem'), 'utf8')).trim());
    }
    assert.equal(report.autostart.kind, 'xdg');
    const entry = await readFile(join(home, '.config', 'autostart', 'qoltanba-agent.desktop'), 'utf8');
    assert.match(entry, new RegExp(`^Exec="${process.execPath}" ".*/apps/cli/bin/qoltanba\\.mjs" "agent" "--data-dir" "${home}/\\.qoltanba-agent"$`, 'm'));

    // Installing again changes nothing (and still knows it made ~/.pki).
    assert.equal((await q('agent', 'install', '--no-start')).code, 0);
    assert.equal((await certutilList(join(home, '.pki', 'nssdb'))).split(nickname).length, 2);

    const removed = await q('--json', 'agent', 'uninstall');
    assert.equal(removed.code, 0, removed.stderr);
    assert.deepEqual(await tree(home), filesBefore);
    assert.equal(await certutilList(profile), firefoxBefore);
    assert.ok(!existsSync(join(home, '.qoltanba-agent', 'tls')), 'the CA is of no use once untrusted');
    await rm(join(home, '.mozilla'), { recursive: true });
    await rm(join(home, '.qoltanba-agent'), { recursive: true });
  });

  test('a database the user already had keeps its own entries; rotating the CA moves the trust to the new one', async () => {
    const nssdb = join(home, '.pki', 'nssdb');
    await mkdir(nssdb, { recursive: true });
    await run('certutil', ['-N', '-d', `sql:${nssdb}`, '--empty-password']);
    await addForeignCa(home, nssdb);
    await mkdir(join(home, '.config', 'autostart'), { recursive: true });
    await writeFile(join(home, '.config', 'autostart', 'other-app.desktop'), '[Desktop Entry]\nType=Application\nName=Other\nExec=true\n');
    const listBefore = await certutilList(nssdb);
    const filesBefore = await tree(home);

    const first = JSON.parse((await q('--json', 'agent', 'install', '--no-start')).stdout) as { caFingerprint: string };
    const rotated = JSON.parse((await q('--json', 'agent', 'install', '--no-start', '--rotate-ca')).stdout) as { caFingerprint: string };
    assert.notEqual(rotated.caFingerprint, first.caFingerprint);
    const list = await certutilList(nssdb);
    assert.match(list, /Corp Root\s+C,,/);
    assert.match(list, new RegExp(`Qoltanba agent local CA ${rotated.caFingerprint.slice(0, 16)}`));
    assert.doesNotMatch(list, new RegExp(first.caFingerprint.slice(0, 16)), 'the old CA must not stay trusted');

    assert.equal((await q('agent', 'uninstall')).code, 0);
    assert.equal(await certutilList(nssdb), listBefore);
    assert.deepEqual(await tree(home), filesBefore);
    await rm(join(home, '.pki'), { recursive: true });
    await rm(join(home, '.config'), { recursive: true });
    await rm(join(home, '.qoltanba-agent'), { recursive: true });
  });

  test('doctor --json reports each piece right: installed and running, another program on the port, then uninstalled and stopped', async () => {
    const dataDir = join(home, '.qoltanba-agent');
    const tsa = await startTestTsa();
    assert.equal((await q('agent', 'install', '--no-start', '--tsa-url', tsa.url)).code, 0);
    const agent = await startAgent({ port: 0, dataDir, log: () => {}, openConsent: () => {} });
    try {
      const doctor = await q('--json', 'agent', 'doctor', '--port', String(agent.port), '--locale', 'en');
      const report = JSON.parse(doctor.stdout) as DoctorReport;
      for (const id of ['ca', 'listening', 'trust', 'autostart', 'keys', 'tsa']) assert.equal(checkOf(report, id).ok, true, `${id}: ${checkOf(report, id).text}`);
      assert.equal(report.ok, true);
      assert.equal(doctor.code, 0);
      assert.equal(checkOf(report, 'listening').facts.state, 'ok');
      assert.match(checkOf(report, 'trust').text, /trusted in: Chromium\/Chrome/);
      // A real stamp was asked for and checked.
      assert.deepEqual([checkOf(report, 'tsa').facts.url, checkOf(report, 'tsa').facts.reachable, tsa.answered() >= 1], [tsa.url, true, true]);
      assert.equal(report.locale, 'en');
      // The human report, in Kazakh, says the same.
      const kk = await q('agent', 'doctor', '--port', String(agent.port), '--locale', 'kk');
      assert.match(kk.stdout, /✔ Агент іске қосылған: Агент wss:\/\/127\.0\.0\.1:\d+ мекенжайында өз сертификатымен жауап береді\./);
    } finally {
      await agent.close();
      await tsa.close();
    }

    // Something else (NCALayer, say) answers TLS on the port with a certificate of its own.
    const other = await makeImpostor(home);
    try {
      const report = JSON.parse((await q('--json', 'agent', 'doctor', '--port', String(other.port))).stdout) as DoctorReport;
      assert.equal(checkOf(report, 'listening').facts.state, 'other');
      assert.match(checkOf(report, 'listening').fix as string, /NCALayer/);
    } finally {
      other.close();
    }

    assert.equal((await q('agent', 'uninstall')).code, 0);
    const afterUninstall = await q('--json', 'agent', 'doctor', '--port', String(other.port), '--locale', 'ru');
    assert.equal(afterUninstall.code, 1, 'doctor exits 1 when something is wrong');
    const report = JSON.parse(afterUninstall.stdout) as DoctorReport;
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.checks.map((c) => [c.id, c.ok]),
      [['ca', false], ['listening', false], ['trust', false], ['autostart', false], ['keys', true], ['tsa', false]],
    );
    // The TSA (closed with the agent) is reported down, with what to do.
    assert.equal(checkOf(report, 'tsa').facts.reachable, false);
    assert.match(checkOf(report, 'tsa').text, /не выдала метку: The time-stamping authority .* cannot be reached/);
    assert.equal(checkOf(report, 'listening').facts.state, 'down');
    for (const c of report.checks.filter((x) => !x.ok)) assert.ok(c.fix, `no fix for ${c.id}`);
    assert.match(checkOf(report, 'autostart').fix as string, /qoltanba agent install/);
  });

  test('the autostart entries quote the command so a folder with spaces, quotes or % still runs', () => {
    const command = ['/opt/node 20/bin/node', '/home/a "b"/qoltanba.mjs', 'agent', '--data-dir', '/home/a/100% $HOME'];
    assert.equal(autostartProgram({ kind: 'xdg', text: desktopEntry(command) }), command[0]);
    assert.equal(autostartProgram({ kind: 'systemd', text: systemdUnit(command) }), command[0]);
    assert.match(systemdUnit(command), /"\/home\/a\/100%% \$\$HOME"/);
    assert.match(desktopEntry(command), /"\/home\/a \\\\"b\\\\"\/qoltanba\.mjs"/);
  });
});

async function makeImpostor(home: string): Promise<{ port: number; close(): void }> {
  const key = join(home, 'impostor.key');
  const cert = join(home, 'impostor.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  const server = createTlsServer({ key: await readFile(key), cert: await readFile(cert) }, (s) => s.end('HTTP/1.1 200 OK\r\nContent-Type: text/css\r\n\r\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await rm(key);
  await rm(cert);
  return { port: (server.address() as { port: number }).port, close: () => server.close() };
}
