/**
 * The operator's commands beside a running server. On the embedded database `qoltanba up` holds the data
 * directory, so every command runs inside it through the admin socket — and must answer exactly as it does
 * in-process (output, --json, exit codes, audit entries), resolve files against the caller's directory,
 * survive a client that leaves, a server killed with SIGKILL, and refuse anyone but the owner. On PostgreSQL
 * no socket is opened: commands open the database themselves, beside the server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { inspectCertificate } from '@qoltanba/pki';
import { defaultCeremonyConfig, gostIssuingPlan, openDatabase } from '@qoltanba/server';
import { birthDateOf, createTestDatabase, drawFace, encodePng, PEOPLE, uniqueIin } from '@qoltanba/server/testing';
import { runQoltanba, type CliRun } from '../testing/run.ts';
import { makeTestHome } from '../testing/home.ts';
import { runCli } from '../program.ts';
import { listeningTcpPorts, startUp, type RunningUp } from '../testing/up.ts';
import { adminSocketPath } from './socket-path.ts';

const BUFFER_IN_JSON = /"type":\s*"Buffer"/;

function csr(dir: string, name: string): string {
  execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, `${name}.key`), '-subj', '/CN=ignored', '-out', join(dir, `${name}.csr`)], { stdio: 'ignore' });
  return `${name}.csr`;
}

/** openssl ocsp asking the running server, trusting the data directory's CA certificates. */
function opensslOcsp(home: string, certFile: string, url: string): string {
  const chain = join(home, 'chain.pem');
  writeFileSync(chain, readFileSync(join(home, 'ca', 'rsa.crt'), 'utf8') + readFileSync(join(home, 'ca', 'root-rsa.crt'), 'utf8'));
  return execFileSync('openssl', ['ocsp', '-issuer', join(home, 'ca', 'rsa.crt'), '-cert', certFile, '-url', `${url}/ocsp`, '-CAfile', chain], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('on the embedded database, with `qoltanba up` holding it', () => {
  const { home, passphraseFile, cwd } = makeTestHome('qt-admin-');
  const env = { ...process.env, DATABASE_URL: '' };
  const q = async (...args: string[]): Promise<CliRun> => {
    const r = await runQoltanba(['--home', home, '--passphrase-file', passphraseFile, ...args], env, { cwd });
    assert.doesNotMatch(r.stdout, BUFFER_IN_JSON, `${args.join(' ')} printed a Buffer`);
    return r;
  };
  const iin = uniqueIin();
  const applicant = uniqueIin();
  let server: RunningUp;
  let serialA = '';
  let serialB = '';
  /** Read-only commands whose answers must not depend on where they run. */
  const sameEverywhere: string[][] = [];
  const inProcess = new Map<string, CliRun>();

  before(() => {
    // The population registry export: one person (with a photo) who has no certificate yet.
    mkdirSync(join(cwd, 'gbdfl', 'photos'), { recursive: true });
    writeFileSync(join(cwd, 'gbdfl', 'photos', 'a.png'), encodePng(drawFace(PEOPLE.aigerim)));
    const header = 'iin;surname;name;patronymic;birth_date;status;document_type;document_number;document_issued;document_expires;photo';
    writeFileSync(join(cwd, 'gbdfl', 'export.csv'), `${header}\n${applicant};НУРЛАНОВА;АЙГЕРИМ;;${birthDateOf(applicant)};alive;id_card;041234567;15.03.2021;14.03.2031;photos/a.png\n`);
    writeFileSync(join(cwd, 'gbdfl', 'bad.csv'), `${header}\n${applicant};НУРЛАНОВА;АЙГЕРИМ;;${birthDateOf(applicant)};missing;id_card;041234567;15.03.2021;14.03.2031;\n`);
    writeFileSync(join(cwd, 'bmg-bad.csv'), `iin;phone;verified\n${uniqueIin()};+77011112233;1\n`);
  });
  after(async () => {
    await server?.kill();
    rmSync(home, { recursive: true, force: true });
  });

  test('in-process first: the ceremony, a certificate, and the answers of read-only commands', async () => {
    assert.equal((await q('ca', 'init')).code, 0);
    const issued = await q('issue', '--csr', csr(cwd, 'a'), '--profile', 'individual-sign', '--iin', iin, '--name', 'АХМЕТОВА АЙГЕРІМ МАРАТҚЫЗЫ');
    assert.equal(issued.code, 0, issued.stderr);
    serialA = inspectCertificate(issued.stdout).serialHex;
    const typed = serialA.toLowerCase().replace(/^0+/, '').replace(/(..)(?=.)/g, '$1:');
    sameEverywhere.push(
      ['--json', 'ca', 'list'],
      ['--json', 'status', serialA],
      ['--json', 'status', `000${typed}`],
      ['--json', 'status', '0BADC0FFEE'],
      ['status', 'not-a-serial'],
      ['--json', 'token', 'list'],
      ['--json', 'notify', 'status'],
      ['--json', 'population', 'import', '--dry-run', 'gbdfl/bad.csv'],
      ['registry', 'import', 'bmg-bad.csv'],
    );
    for (const args of sameEverywhere) inProcess.set(args.join(' '), await q(...args));
    const status = inProcess.get(`--json status ${serialA}`)!;
    assert.equal(JSON.parse(status.stdout).serial, serialA, 'the serial reads as the certificate spells it');
    assert.deepEqual(inProcess.get(`--json status 000${typed}`), status, 'leading zeros, colons and case do not matter');
    assert.equal(inProcess.get('--json status 0BADC0FFEE')!.code, 1);
    assert.equal(inProcess.get('status not-a-serial')!.code, 2);
    assert.equal(inProcess.get('--json population import --dry-run gbdfl/bad.csv')!.code, 1, 'a dry run of a file that would be refused exits 1');
    assert.equal(inProcess.get('registry import bmg-bad.csv')!.code, 1);
  });

  test('up opens an owner-only admin socket in the data directory, and listens on TCP only for HTTP', async () => {
    server = await startUp(['--home', home, '--passphrase-file', passphraseFile], env);
    const path = adminSocketPath(home);
    assert.equal(server.adminSocket, path);
    const socket = statSync(path);
    assert.ok(socket.isSocket());
    assert.equal(socket.mode & 0o777, 0o600);
    assert.equal(socket.uid, process.getuid!());
    assert.equal(statSync(join(home, 'admin')).mode & 0o777, 0o700);
    assert.deepEqual(listeningTcpPorts(server.child.pid!), [server.port]);
  });

  test('read-only commands answer through the socket exactly as in-process: output, --json and exit codes', async () => {
    for (const args of sameEverywhere) {
      const through = await q(...args);
      const local = inProcess.get(args.join(' '))!;
      assert.deepEqual({ code: through.code, stdout: through.stdout, stderr: through.stderr }, { code: local.code, stdout: local.stdout, stderr: local.stderr }, args.join(' '));
    }
  });

  test("changes go through the server's own services: issue from a relative path, hold/release/revoke seen by its OCSP at once", async () => {
    const issued = await q('issue', '--csr', csr(cwd, 'b'), '--profile', 'individual-auth', '--iin', iin, '--name', 'АХМЕТОВА АЙГЕРІМ');
    assert.equal(issued.code, 0, issued.stderr);
    writeFileSync(join(cwd, 'b.crt'), issued.stdout);
    serialB = inspectCertificate(issued.stdout).serialHex;
    const ocsp = () => opensslOcsp(home, join(cwd, 'b.crt'), server.url);
    assert.match(ocsp(), /b\.crt: good/);
    const held = await q('--json', 'hold', serialB.toLowerCase());
    assert.equal(held.code, 0, held.stderr);
    assert.equal(JSON.parse(held.stdout).certificate.status, 'on_hold');
    assert.match(ocsp(), /b\.crt: revoked[\s\S]*Reason: certificateHold/);
    assert.equal((await q('release', serialB)).code, 0);
    assert.match(ocsp(), /b\.crt: good/);
    const revoked = await q('--json', 'revoke', serialB, '--reason', 'keyCompromise');
    assert.equal(JSON.parse(revoked.stdout).certificate.revocationReason, 'keyCompromise');
    assert.match(ocsp(), /b\.crt: revoked[\s\S]*Reason: keyCompromise/);
    const again = await q('revoke', serialB, '--reason', 'superseded');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error QT_ERR_CERT_ALREADY_REVOKED: /);
  });

  test('crl --out writes where the caller is, and openssl reads the revocation in it', async () => {
    const r = await q('--json', 'crl', '--ca', 'rsa', '--out', 'rsa.crl');
    assert.equal(r.code, 0, r.stderr);
    const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', join(cwd, 'rsa.crl'), '-CAfile', join(home, 'ca', 'rsa.crt'), '-noout', '-text', '-verify'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(text, new RegExp(`Serial Number: ${serialB}`));
    assert.equal((await q('crl', '--out', 'x.crl')).code, 2, 'which CA? a usage error');
    // On a terminal the progress bar draws through the socket as it would in-process.
    const out = new PassThrough();
    const err = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
    let drawn = '';
    err.on('data', (c: Buffer) => (drawn += c.toString()));
    out.resume();
    assert.equal(await runCli(['--home', home, 'crl', '--ca', 'rsa'], { out, err, env, cwd }), 0);
    assert.match(drawn, /CRL rsa \|[█░]+\| \d+\/\d+ entries/);
  });

  test('tokens, registries, reminders, audit, a repeated ceremony and a CA added while serving, through the socket', async () => {
    const token = await q('--json', 'token', 'create', 'ra-almaty', '--scope', 'issue', 'read');
    assert.match(JSON.parse(token.stdout).token, /^qt_/);
    assert.deepEqual(JSON.parse((await q('--json', 'token', 'list')).stdout).map((t: { name: string }) => t.name), ['ra-almaty']);
    assert.equal((await q('token', 'revoke', 'ra-almaty')).code, 0);
    const people = await q('--json', 'population', 'import', 'gbdfl/export.csv');
    assert.equal(people.code, 0, people.stdout + people.stderr);
    assert.equal(JSON.parse(people.stdout).withPhoto, 1, 'the photo is found next to the CSV the caller named');
    // A first-time applicant: in the population registry, no certificate yet.
    writeFileSync(join(cwd, 'bmg.csv'), `iin,phone,verified\n${applicant},+77011112233,1\n`);
    const phones = await q('--json', 'registry', 'import', 'bmg.csv');
    assert.equal(phones.code, 0, phones.stdout + phones.stderr);
    assert.equal(JSON.parse(phones.stdout).written, 1);
    assert.equal((await q('notify', 'run')).code, 0);
    const ceremony = await q('--json', 'ca', 'init');
    assert.equal(ceremony.code, 0, ceremony.stderr);
    assert.deepEqual(JSON.parse(ceremony.stdout).cas.map((c: { created: boolean }) => c.created), [false, false]);
    // A CA added to the plan while serving: made by the server with its passphrase, so its own signer signs with it at once.
    const plan = JSON.parse(readFileSync(join(home, 'ceremony.json'), 'utf8')) as ReturnType<typeof defaultCeremonyConfig>;
    plan.issuing.push(gostIssuingPlan());
    writeFileSync(join(home, 'ceremony.json'), JSON.stringify(plan, null, 2));
    const added = await q('--json', 'ca', 'init');
    assert.equal(added.code, 0, added.stderr);
    assert.deepEqual(JSON.parse(added.stdout).cas.map((c: { name: string; created: boolean }) => [c.name, c.created]), [['root-rsa', false], ['rsa', false], ['gost', true]]);
    const gostCrl = await q('--json', 'crl', '--ca', 'gost');
    assert.equal(gostCrl.code, 0, gostCrl.stdout + gostCrl.stderr);
    assert.equal(JSON.parse(gostCrl.stdout)[0].ca, 'gost');
    const audit = await q('--json', 'audit', 'verify');
    assert.equal(audit.code, 0, audit.stdout + audit.stderr);
    assert.equal(JSON.parse(audit.stdout).ok, true);
  });

  test('commands at the same time each get their own answer', async () => {
    const names = ['c', 'd', 'e'].map((n) => csr(cwd, n));
    const runs = await Promise.all([
      ...names.map((f) => q('--json', 'issue', '--csr', f, '--profile', 'individual-sign', '--iin', iin, '--name', 'АХМЕТОВА АЙГЕРІМ')),
      q('--json', 'status', serialA),
      q('--json', 'ca', 'list'),
    ]);
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    assert.equal(new Set(runs.slice(0, 3).map((r) => JSON.parse(r.stdout).serial)).size, 3);
    assert.equal(runs[3]!.stdout, inProcess.get(`--json status ${serialA}`)!.stdout);
  });

  test('a client that leaves mid-command does not stop the command or the server', async () => {
    const socket = createConnection(adminSocketPath(home));
    await once(socket, 'data'); // hello
    // Gone as soon as the request is sent: what the command prints has nowhere to go.
    const request = { t: 'run', v: 1, argv: ['--home', home, '--json', 'token', 'create', 'left-early'], cwd, home, tty: { out: true, err: true, columns: 80 } };
    socket.write(JSON.stringify(request) + '\n', () => socket.destroy());
    await once(socket, 'close');
    // The command completes on the server all the same, and the next commands are answered.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const list = JSON.parse((await q('--json', 'token', 'list')).stdout) as { name: string }[];
      if (list.some((t) => t.name === 'left-early')) break;
      assert.ok(Date.now() < deadline, 'the token of the abandoned command never appeared');
    }
    const garbage = createConnection(adminSocketPath(home));
    await once(garbage, 'data');
    garbage.end('{"not":"a request"}\n');
    let reply = '';
    for await (const chunk of garbage) reply += String(chunk);
    assert.match(reply, /"t":"refused"/);
  });

  test('the socket is refused to other users: not theirs to reach, and the client trusts only its own owner-only socket', async () => {
    const path = adminSocketPath(home);
    const refused = async (why: RegExp) => {
      const r = await q('ca', 'list');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /QT_ERR_ADMIN_SOCKET_UNTRUSTED/);
      assert.match(r.stderr, why);
    };
    chmodSync(path, 0o666);
    await refused(/other users have access to it \(mode 0666\)/);
    chmodSync(path, 0o600);
    chmodSync(join(home, 'admin'), 0o755);
    await refused(/other users have access to it \(mode 0755\)/);
    chmodSync(join(home, 'admin'), 0o700);
    if (process.getuid!() === 0) {
      chownSync(path, 65534, 65534);
      await refused(/belongs to user id 65534/);
      chownSync(path, 0, 0);
      // Another user cannot even reach it: the kernel refuses before any protocol.
      const probe = spawnSync(process.execPath, ['-e', "const s=require('net').connect(process.argv[1]);s.on('connect',()=>console.log('CONNECTED'));s.on('error',(e)=>console.log(e.code))", path], { uid: 65534, gid: 65534, encoding: 'utf8' });
      assert.equal(probe.stdout.trim(), 'EACCES');
    }
    assert.equal((await q('ca', 'list')).code, 0, 'and the owner is served again');
  });

  test('after kill -9 the stale socket is no obstacle: commands run in-process at once, and the next up replaces it', async () => {
    const through = await q('--json', 'ca', 'list');
    await server.kill();
    assert.ok(existsSync(adminSocketPath(home)), 'a crash leaves the socket file behind');
    const local = await q('--json', 'ca', 'list');
    assert.equal(local.code, 0, local.stderr);
    assert.equal(local.stdout, through.stdout);
    server = await startUp(['--home', home, '--passphrase-file', passphraseFile], env);
    assert.equal((await q('--json', 'status', serialB)).code, 0);
    assert.equal(await server.stop(), 0);
    assert.ok(!existsSync(adminSocketPath(home)), 'a clean stop removes the socket');
  });

  test('the audit log holds the same entries for a change made through the socket as for one made in-process', async () => {
    const store = await openDatabase({ dataDir: join(home, 'db') });
    try {
      const rows = await store.db.selectFrom('audit_log').select(['actor', 'action', 'target']).orderBy('seq').execute();
      const issued = rows.filter((r) => r.action === 'certificate.issued');
      assert.deepEqual(issued.find((r) => r.target === `certificate:rsa/${serialA}`)?.actor, 'operator:cli');
      assert.deepEqual(issued.find((r) => r.target === `certificate:rsa/${serialB}`)?.actor, 'operator:cli');
      assert.deepEqual(
        rows.filter((r) => r.target === `certificate:rsa/${serialB}`).map((r) => r.action),
        ['certificate.issued', 'certificate.held', 'certificate.released', 'certificate.revoked'],
      );
      for (const action of ['api-token.created', 'population.imported', 'registry.imported']) assert.ok(rows.some((r) => r.action === action), action);
    } finally {
      await store.close();
    }
  });
});

describe('on PostgreSQL, commands open the database themselves beside the running server', () => {
  const { home, passphraseFile, cwd } = makeTestHome('qt-admin-pg-');
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let server: RunningUp | undefined;
  let env: NodeJS.ProcessEnv;
  const q = (...args: string[]) => runQoltanba(['--home', home, '--passphrase-file', passphraseFile, ...args], env, { cwd });
  after(async () => {
    await server?.kill();
    await database?.dispose();
    rmSync(home, { recursive: true, force: true });
  });

  test('no admin socket; issue and revoke run in this process while the server serves OCSP for them', async () => {
    database = await createTestDatabase('postgres');
    env = { ...process.env, DATABASE_URL: database.openOptions.databaseUrl };
    server = await startUp(['--home', home, '--passphrase-file', passphraseFile], env);
    assert.equal(server.adminSocket, null);
    assert.ok(!existsSync(adminSocketPath(home)));
    const issued = await q('issue', '--csr', csr(cwd, 'p'), '--profile', 'individual-sign', '--iin', uniqueIin(), '--name', 'ТЕСТОВ ТЕСТ');
    assert.equal(issued.code, 0, issued.stderr);
    const serial = inspectCertificate(issued.stdout).serialHex;
    writeFileSync(join(cwd, 'p.crt'), issued.stdout);
    const revoked = await q('--json', 'revoke', serial.toLowerCase(), '--reason', 'superseded');
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(JSON.parse(revoked.stdout).certificate.serial, serial);
    assert.doesNotMatch(revoked.stdout, BUFFER_IN_JSON);
    // This process pre-signed the answer in the shared database; the server answers with it.
    const ocsp = opensslOcsp(home, join(cwd, 'p.crt'), server.url);
    assert.match(ocsp, /p\.crt: revoked[\s\S]*Reason: superseded/);
    assert.equal(JSON.parse((await q('--json', 'ca', 'list')).stdout).length, 2);
  });
});
