/** `qoltanba up`: the whole system on this machine — embedded database unless DATABASE_URL says otherwise. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { roles, startServer, type Role } from '@qoltanba/server';
import type { ContextFactory } from './index.ts';
import { printResult } from '../output.ts';

interface UpFlags {
  port?: string;
  host?: string;
  role?: Role[];
  signerUrl?: string;
  signerTokenFile?: string;
  publicUrl?: string;
}

export function registerUp(program: Command, context: ContextFactory): void {
  program
    .command('up')
    .description('start the certificate authority, OCSP, CRLs, API and portal (first run: data directory, database, CA ceremony)')
    .option('--port <port>', 'HTTP port (default: $PORT or 8080)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--public-url <url>', 'the address citizens and relying parties use, written into every certificate (default at the first start: http://<host>:<port>; stored, so giving another one later is a recorded change)')
    .addOption(new Option('--role <role...>', 'serve only these roles (default: all)').choices([...roles]))
    .option('--signer-url <url>', 'use a signer running as its own process (--role signer) at this URL')
    .option('--signer-token-file <file>', "file holding the signer's token (with --signer-url)")
    .action(async (flags: UpFlags) => {
      const ctx = context();
      const server = await startServer({
        home: ctx.home,
        overrides: {
          port: flags.port !== undefined ? Number(flags.port) : undefined,
          host: flags.host,
          publicUrl: flags.publicUrl,
          roles: flags.role,
          signer: flags.signerUrl ? { mode: 'remote', url: flags.signerUrl, tokenFile: flags.signerTokenFile ?? '' } : undefined,
          keys: { passphraseFile: ctx.passphraseFile },
        },
      });
      const issuing = server.cas.filter((c) => c.kind === 'issuing');
      const base = server.config.publicUrl;
      printResult(
        ctx,
        { url: server.url, publicUrl: server.config.publicUrl, home: server.config.home, database: server.ctx.store.backend, roles: server.config.roles, cas: server.cas },
        [
          ['Qoltanba', `serving on ${server.url}`],
          ['Public address', server.config.publicUrl === server.url ? undefined : `${server.config.publicUrl} (in every certificate, CRL and OCSP pointer)`],
          ['Data directory', server.config.home],
          ['Database', server.ctx.store.backend === 'pglite' ? `embedded (PGlite) in ${server.config.home}/db` : 'PostgreSQL (DATABASE_URL)'],
          ['Roles', server.config.roles.join(', ')],
          ...server.cas.map((c): [string, string] => [`${c.kind === 'root' ? 'Root CA' : 'Issuing CA'} ${c.name}`, `${c.subject} (until ${c.notAfter.toISOString().slice(0, 10)})`]),
          ['CA list', `${base}/api/v1/ca`],
          ...issuing.map((c): [string, string] => [`CRL ${c.name}`, `${base}/crl/${c.name}.crl`]),
          ['OCSP', `${base}/ocsp`],
          ['Practice statement', `${base}/cps`],
          ['Health', `${server.url}/healthz`],
          ['Stop', 'Ctrl+C'],
        ],
      );
      await waitForSignal();
      await server.close();
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
