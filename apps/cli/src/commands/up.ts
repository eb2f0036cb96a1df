/** `qoltanba up`: the whole system on this machine — embedded database unless DATABASE_URL says otherwise. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { QtError } from '@qoltanba/pki';
import { roles, runningOperatorContext, startServer, type Role, type RunningServer } from '@qoltanba/server';
import type { ContextFactory } from './index.ts';
import { printResult, type Row } from '../output.ts';
import { withExamples } from '../help.ts';
import type { StoreHost } from '../context.ts';
import { serveAdmin, type AdminServer } from '../admin/serve.ts';
import { runCli } from '../program.ts';

interface UpFlags {
  port?: string;
  host?: string;
  role?: Role[];
  signerUrl?: string;
  signerTokenFile?: string;
}

export function registerUp(program: Command, context: ContextFactory): void {
  const cmd = program
    .command('up')
    .description('start the certificate authority, OCSP, CRLs, API, portal and verifier (first run: data directory, database, CA ceremony)')
    .option('--port <port>', 'HTTP port (default: $PORT or 8080)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .addOption(new Option('--role <role...>', 'serve only these roles (default: all)').choices([...roles]))
    .option('--signer-url <url>', 'use a signer running as its own process (--role signer) at this URL')
    .option('--signer-token-file <file>', "file holding the signer's token (with --signer-url)")
    .action(async (flags: UpFlags) => {
      const ctx = context();
      if (ctx.host) throw new QtError('QT_ERR_INPUT_INVALID', 'A server is already running on this data directory');
      const server = await startServer({
        home: ctx.home,
        overrides: {
          port: flags.port !== undefined ? Number(flags.port) : undefined,
          host: flags.host,
          roles: flags.role,
          signer: flags.signerUrl ? { mode: 'remote', url: flags.signerUrl, tokenFile: flags.signerTokenFile ?? '' } : undefined,
          keys: { passphraseFile: ctx.passphraseFile },
        },
      });
      let admin: AdminServer | undefined;
      try {
        admin = await openAdminSocket(server);
      } catch (e) {
        // The citizens' services matter more than the operator's convenience: serve, and say why commands cannot run beside.
        server.ctx.log.error({ err: e }, 'admin socket: not opened; CLI commands need the server stopped');
      }
      const issuing = server.cas.filter((c) => c.kind === 'issuing');
      const rows: Row[] = [
        ['Qoltanba', `serving on ${server.url}`],
        ['Data directory', server.config.home],
        ['Database', server.ctx.store.backend === 'pglite' ? `embedded (PGlite) in ${server.config.home}/db` : 'PostgreSQL (DATABASE_URL)'],
        ['Admin socket', admin ? `${admin.path} (qoltanba commands on this data directory run through it)` : undefined],
        ['Roles', server.config.roles.join(', ')],
        ...server.cas.map((c): Row => [`${c.kind === 'root' ? 'Root CA' : 'Issuing CA'} ${c.name}`, `${c.subject} (until ${c.notAfter.toISOString().slice(0, 10)})`]),
        ['CA list', `${server.url}/api/v1/ca`],
        ...issuing.map((c): Row => [`CRL ${c.name}`, `${server.url}/crl/${c.name}.crl`]),
        ['OCSP', `${server.url}/ocsp`],
        ['Verify', server.config.roles.includes('verify') ? `${server.url}/api/v1/verify (and NCANode's /cms/verify, /xml/verify, /x509/info …)` : undefined],
        ['Health', `${server.url}/healthz`],
        ['Stop', 'Ctrl+C'],
      ];
      printResult(
        ctx,
        { url: server.url, home: server.config.home, database: server.ctx.store.backend, adminSocket: admin?.path ?? null, roles: server.config.roles, cas: server.cas },
        rows,
      );
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
    'qoltanba up --role portal api status --signer-url http://10.0.0.5:7070 --signer-token-file signer-token',
  ]);
}

/**
 * While this process holds the embedded database nobody else can open it, so it lets the operator's commands
 * in through an owner-only socket and runs them on its own store and services. On PostgreSQL commands open
 * the database themselves, beside the server, so no socket is needed.
 */
async function openAdminSocket(server: RunningServer): Promise<AdminServer | undefined> {
  if (server.ctx.store.backend !== 'pglite') return undefined;
  const host: StoreHost = {
    home: server.config.home,
    config: server.config,
    store: server.ctx.store,
    operator: (options) => runningOperatorContext(server.ctx, options),
  };
  const env = { ...process.env, QOLTANBA_HOME: server.config.home };
  return serveAdmin({
    home: server.config.home,
    run: (request, io) => runCli(request.argv, { out: io.out, err: io.err, env, cwd: request.cwd, host }),
    log: { info: (m) => server.ctx.log.info(m), warn: (m) => server.ctx.log.warn(m) },
  });
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
