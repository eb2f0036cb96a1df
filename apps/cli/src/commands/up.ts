/** `qoltanba up`: the whole system on this machine — embedded database unless DATABASE_URL says otherwise. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { dirname, join } from 'node:path';
import { QtError } from '@qoltanba/pki';
import {
  loadServerConfig,
  parseWorkers,
  reportReady,
  requireSharedDatabase,
  roles,
  runningLocalAdminContext,
  startServer,
  startWorkers,
  workerIndex,
  type DemoFile,
  type Role,
  type RunningServer,
} from '@qoltanba/server';
import { printResult, type Row } from '../output.ts';
import { withExamples } from '../help.ts';
import type { ContextFactory, RunCli, StoreHost } from '../context.ts';
import { serveAdmin, type AdminServer } from '../admin/serve.ts';

interface UpFlags {
  port?: string;
  host?: string;
  role?: Role[];
  signerUrl?: string;
  signerTokenFile?: string;
  publicUrl?: string;
  demo?: boolean;
  workers?: string;
}

export function registerUp(program: Command, context: ContextFactory, run: RunCli): void {
  const cmd = program
    .command('up')
    .description('start the certificate authority, OCSP, CRLs, API, portal, verifier and time-stamping authority (first run: data directory, database, CA ceremony)')
    .option('--port <port>', 'HTTP port (default: $PORT or 8080)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--public-url <url>', 'the address citizens and relying parties use, written into every certificate (default at the first start: http://<host>:<port>; stored, so giving another one later is a recorded change)')
    .option('--demo', 'on a fresh data directory: also seed clearly marked demo data (made-up people with key files, an RA operator, registries, SMS codes shown on /demo/sms and here) and write demo/demo.json')
    .addOption(new Option('--role <role...>', 'serve only these roles (default: all)').choices([...roles]))
    .option('--signer-url <url>', 'use a signer running as its own process (--role signer) at this URL')
    .option('--signer-token-file <file>', "file holding the signer's token (with --signer-url)")
    .option('--workers <n>', 'processes serving the port: a number, or "auto" for one per core (default 1; more than one needs DATABASE_URL)')
    .action(async (flags: UpFlags) => {
      const ctx = context();
      if (ctx.host) throw new QtError('QT_ERR_INPUT_INVALID', 'A server is already running on this data directory');
      const workers = parseWorkers(flags.workers);
      const index = workerIndex();
      if (workers > 1 && index === undefined) {
        // The primary: no server of its own; it forks the workers and prints what the first one serves.
        requireSharedDatabase(workers, loadServerConfig({ home: ctx.home }).databaseUrl);
        const log = { info: (m: string) => ctx.err.write(`${m}\n`), warn: (m: string) => ctx.err.write(`warning: ${m}\n`), error: (m: string) => ctx.err.write(`error: ${m}\n`) };
        const pool = await startWorkers<Summary>({ count: workers, log });
        const { json, rows } = pool.first.summary;
        rows.splice(rows.length - 1, 0, ['Workers', `${workers} processes on port ${pool.first.port} (pids ${pool.pids().join(', ')}); the schedule runs in worker 1`]);
        printResult(ctx, { ...json, workers, workerPids: pool.pids() }, rows);
        await waitForSignal();
        await pool.stop();
        return;
      }
      // Beyond worker 1, no periodic work (once per node).
      const secondary = index !== undefined && index > 1;
      const server = await startServer({
        home: ctx.home,
        overrides: {
          port: flags.port !== undefined ? Number(flags.port) : undefined,
          host: flags.host,
          publicUrl: flags.publicUrl,
          roles: secondary ? (flags.role ?? defaultRoles()).filter((r) => r !== 'worker') : flags.role,
          signer: flags.signerUrl ? { mode: 'network', url: flags.signerUrl, tokenFile: flags.signerTokenFile ?? '' } : undefined,
          keys: { passphraseFile: ctx.passphraseFile },
          demo: flags.demo === true,
        },
      });
      if (index !== undefined) {
        // A worker: the primary prints, and stops us with SIGTERM.
        reportReady<Summary>(Number(new URL(server.url).port), summarize(server, undefined));
        await waitForSignal();
        await server.close();
        process.exit(0);
      }
      let admin: AdminServer | undefined;
      try {
        admin = await openAdminSocket(server, run);
      } catch (e) {
        // The citizens' services matter more than the operator's convenience: serve, and say why commands cannot run beside.
        server.ctx.log.error({ err: e }, 'admin socket: not opened; CLI commands need the server stopped');
      }
      const { json, rows } = summarize(server, admin);
      printResult(ctx, json, rows);
      await waitForSignal();
      // Commands in progress finish first: each is one transaction the store must still be open for.
      await admin?.close();
      await server.close();
    });
  withExamples(cmd, [
    'qoltanba up',
    ['another port and data directory', 'PORT=9090 QOLTANBA_HOME=/srv/qoltanba qoltanba up'],
    ['on PostgreSQL', 'DATABASE_URL=postgres://qoltanba@db/qoltanba qoltanba up'],
    ['the signer as its own process, and a public node using it', 'qoltanba up --role signer --port 7070'],
    ['one process per core on one port (OCSP and the API on every core)', 'DATABASE_URL=postgres://qoltanba@db/qoltanba qoltanba up --workers auto'],
    'qoltanba up --role portal api status --signer-url http://10.0.0.5:7070 --signer-token-file signer-token',
  ]);
}

interface Summary {
  json: Record<string, unknown>;
  rows: Row[];
}

function defaultRoles(): Role[] {
  return roles.filter((r) => r !== 'signer');
}

/** What `up` prints once it serves: a table, or the --json object. */
function summarize(server: RunningServer, admin: AdminServer | undefined): Summary {
  const issuing = server.cas.filter((c) => c.kind === 'issuing');
  const base = server.config.publicUrl;
  const rows: Row[] = [
    ['Qoltanba', `serving on ${server.url}`],
    ['Public address', server.config.publicUrl === server.url ? undefined : `${server.config.publicUrl} (in every certificate, CRL and OCSP pointer)`],
    ['Data directory', server.config.home],
    ['Database', server.ctx.store.backend === 'pglite' ? `embedded (PGlite) in ${server.config.home}/db` : 'PostgreSQL (DATABASE_URL)'],
    ['Admin socket', admin ? `${admin.path} (qoltanba commands on this data directory run through it)` : undefined],
    ['Roles', server.config.roles.join(', ')],
    ...server.cas.map((c): Row => [`${c.kind === 'root' ? 'Root CA' : 'Issuing CA'} ${c.name}`, `${c.subject} (until ${c.notAfter.toISOString().slice(0, 10)})`]),
    ['CA list', `${base}/api/v1/ca`],
    ...issuing.map((c): Row => [`CRL ${c.name}`, `${base}/crl/${c.name}.crl`]),
    ['OCSP', `${base}/ocsp`],
    ['Time-stamps', server.config.roles.includes('tsa') ? `${base}/tsp (RFC 3161; each CA's own: ${base}/tsp/<ca>, listed in /api/v1/ca)` : undefined],
    ['Practice statement', `${base}/cps`],
    ['Verify', server.config.roles.includes('verify') ? `${base}/api/v1/verify (and NCANode's /cms/verify, /xml/verify, /x509/info …)` : undefined],
    ['Health', `${server.url}/healthz`],
    ...(server.demo ? demoRows(server.demo, server.config.home) : []),
    ['Stop', 'Ctrl+C'],
  ];
  const json = {
    url: server.url,
    publicUrl: server.config.publicUrl,
    home: server.config.home,
    database: server.ctx.store.backend,
    adminSocket: admin?.path ?? null,
    roles: server.config.roles,
    cas: server.cas,
    demo: server.demo ? { ...server.demo, file: demoFile(server.config.home), agentCommand: agentCommand(server.demo, server.config.home) } : undefined,
  };
  return { json, rows };
}

/**
 * While this process holds the embedded database nobody else can open it, so it lets the operator's commands
 * in through an owner-only socket and runs them on its own store and services. On PostgreSQL commands open
 * the database themselves, beside the server, so no socket is needed.
 */
async function openAdminSocket(server: RunningServer, runCli: RunCli): Promise<AdminServer | undefined> {
  if (server.ctx.store.backend !== 'pglite') return undefined;
  const host: StoreHost = {
    home: server.config.home,
    config: server.config,
    store: server.ctx.store,
    localAdmin: (options) => runningLocalAdminContext(server.ctx, server.status, options),
  };
  const env = { ...process.env, QOLTANBA_HOME: server.config.home };
  return serveAdmin({
    home: server.config.home,
    run: (request, io) => runCli(request.argv, { out: io.out, err: io.err, env, cwd: request.cwd, host }),
    log: { info: (m) => server.ctx.log.info(m), warn: (m) => server.ctx.log.warn(m) },
  });
}

function demoFile(home: string): string {
  return join(home, 'demo', 'demo.json');
}

/** A path as one shell word. */
function shellWord(s: string): string {
  return /^[\w./:@=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * How to start the agent for the demo: the citizen's key folder first (new keys from re-issuance and remote
 * issuance are written there), the operator's beside it, and the portal's exact origin allowed — the agent
 * refuses every other site, and by default allows only http://127.0.0.1:8080 and http://localhost:8080.
 */
function agentCommand(demo: DemoFile, home: string): string {
  const origin = new URL(demo.portalUrl).origin;
  const args = ['agent', '--key-dir', demo.citizen.keyDir, '--key-dir', dirname(demo.operator.keyFile), '--allow-origin', origin, '--data-dir', join(home, 'demo', 'agent')];
  return `npx qoltanba ${args.map(shellWord).join(' ')}`;
}

function demoRows(demo: DemoFile, home: string): Row[] {
  return [
    ['Demo', `made-up people and keys (NCA test IINs), everything below is in ${demoFile(home)}`],
    ['1. Start the agent', agentCommand(demo, home)],
    ['2. Open the portal', `${demo.portalUrl}/login — «Обновить список ключей», then the citizen's AUTH key`],
    ['Citizen', `${demo.citizen.name}, IIN ${demo.citizen.iin}; key files in ${demo.citizen.keyDir}, password ${demo.citizen.password}`],
    ['SMS codes', `${demo.smsCodesUrl} (and printed here when sent)`],
    ['Remote issuance', `${demo.portalUrl}/remote — IIN ${demo.applicant.iin}, document ${demo.applicant.documentNumber} issued ${demo.applicant.documentIssued}`],
    ['RA operator', `${demo.operatorConsoleUrl} — key file ${demo.operator.keyFile}, password ${demo.operator.password}`],
  ];
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
