/**
 * TEST SUPPORT ONLY: a PostgreSQL cluster of our own (initdb in a temp dir, its own port and socket),
 * for tests that restart or stop the server. Restarting the shared cluster on 5432 would break every
 * other test running at the same time (CI runs test files in parallel processes); this one nobody else
 * knows about. Uses the installed server binaries (pg_config --bindir, or /usr/lib/postgresql/<v>/bin);
 * as root (initdb refuses root) the cluster belongs to the `postgres` user and runs through runuser.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DedicatedPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  adminUrl: string;
  port: number;
  /** The server's log file. */
  logFile: string;
  /** URL of a database on this cluster. */
  urlOf(database: string): string;
  /**
   * pg_ctl restart, by default -m fast: sessions are terminated (57P01), the server is down for a moment, then back.
   * -m immediate stops it the way a crash would (recovery from the WAL at start).
   */
  restart(mode?: 'fast' | 'immediate'): Promise<void>;
  stop(): Promise<void>;
}

function binDir(): string {
  const fromEnv = process.env.PG_BINDIR;
  if (fromEnv && existsSync(join(fromEnv, 'initdb'))) return fromEnv;
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const dir = pgConfig.status === 0 ? pgConfig.stdout.trim() : '';
  if (dir && existsSync(join(dir, 'initdb'))) return dir;
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions[0]) return join(base, versions[0], 'bin');
  throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found; install postgresql or set PG_BINDIR');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface DedicatedPostgresOptions {
  /** Addresses to listen on besides 127.0.0.1 (e.g. the host side of test network namespaces). */
  listen?: readonly string[];
  /** Client networks (CIDR) trusted besides 127.0.0.1/32. */
  trust?: readonly string[];
  maxConnections?: number;
}

export async function startDedicatedPostgres(opts: DedicatedPostgresOptions = {}): Promise<DedicatedPostgres> {
  const bin = binDir();
  const root = mkdtempSync(join(tmpdir(), 'qt-pg-'));
  const data = join(root, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(root, uid, gid);
  }
  const run = (tool: string, args: string[]) => {
    const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
    const r = spawnSync(cmd as string, argv as string[], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  };
  const port = await freePort();
  const listen = ['127.0.0.1', ...(opts.listen ?? [])].join(',');
  const options = `-p ${port} -k ${root} -c listen_addresses=${listen} -c fsync=off -c max_connections=${opts.maxConnections ?? 50}`;
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
  if (opts.trust?.length) appendFileSync(join(data, 'pg_hba.conf'), opts.trust.map((net) => `host all all ${net} trust\n`).join(''));
  run('pg_ctl', ['-D', data, '-o', options, '-l', join(root, 'log'), '-w', '-t', '60', 'start']);
  const urlOf = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  let stopped = false;
  return {
    adminUrl: urlOf('postgres'),
    port,
    logFile: join(root, 'log'),
    urlOf,
    async restart(mode = 'fast') {
      // Asynchronous: the requests under test run in this process and must keep flowing meanwhile.
      const args = ['-D', data, '-o', options, '-l', join(root, 'log'), '-m', mode, '-w', '-t', '60', 'restart'];
      const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), ...args]] : [join(bin, 'pg_ctl'), args];
      await new Promise<void>((resolve, reject) => {
        execFile(cmd as string, argv as string[], { encoding: 'utf8' }, (err, _stdout, stderr) => (err ? reject(new Error(`pg_ctl restart failed: ${stderr}`)) : resolve()));
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
