/**
 * TEST SUPPORT ONLY: the real `qoltanba up` as a child process — in a network namespace when given one — and
 * HAProxy in front of several of them. Output is kept for the failure message; nothing is faked.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from '../support/fixtures.ts';

export interface Proc {
  child: ChildProcess;
  /** What it wrote (stdout and stderr), for failure messages. */
  output(): string;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  /** SIGTERM and the exit code. */
  stop(): Promise<number | null>;
}

function track(child: ChildProcess): Proc & { exited: Promise<unknown> } {
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-200_000)));
  child.stderr?.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-200_000)));
  const exited = once(child, 'exit');
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    exited,
    output: () => out,
    async kill() {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (alive()) child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

export interface RunningNode extends Proc {
  /** What `up --json` printed when it started serving. */
  summary: { url: string; roles: string[] };
}

/**
 * `qoltanba --json up …args` with `env`, inside network namespace `ns` when given; resolves once it serves (its
 * JSON summary is printed after listen), rejects with its output if it exits first.
 */
export async function startQoltanba(args: string[], env: NodeJS.ProcessEnv, ns?: string): Promise<RunningNode> {
  const cli = [process.execPath, join(repoRoot, 'apps/cli/bin/qoltanba.mjs'), '--json', 'up', ...args];
  const [cmd, argv] = ns ? ['ip', ['netns', 'exec', ns, ...cli]] : [cli[0]!, cli.slice(1)];
  const child = spawn(cmd, argv, { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const p = track(child);
  const summary = await Promise.race([
    (async () => {
      for (;;) {
        const m = /^\{\n[\s\S]*?\n\}$/m.exec(p.output());
        if (m) return JSON.parse(m[0]) as RunningNode['summary'];
        await once(child.stdout!, 'data');
      }
    })(),
    p.exited.then(() => {
      throw new Error(`qoltanba up ${args.join(' ')} exited (${child.exitCode ?? child.signalCode}) before serving:\n${p.output()}`);
    }),
  ]);
  return { ...p, summary };
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * HAProxy (the Debian package's binary, in the foreground) on 127.0.0.1:`port`, round robin over `backends`
 * ("ip:port"), each checked with GET /healthz every 500 ms: a node that stops answering is taken out after
 * two failed checks and put back after two good ones.
 */
export async function startHaproxy(dir: string, port: number, backends: readonly string[]): Promise<Proc> {
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(
    config,
    [
      'global',
      '  maxconn 2000',
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 60s',
      '  timeout server 60s',
      '  retries 2',
      '  option redispatch',
      'frontend qoltanba',
      `  bind 127.0.0.1:${port}`,
      '  default_backend nodes',
      'backend nodes',
      '  balance roundrobin',
      '  option httpchk GET /healthz',
      '  http-check expect status 200',
      '  default-server inter 500ms fall 2 rise 2',
      ...backends.map((b, i) => `  server node${i + 1} ${b} check`),
      '',
    ].join('\n'),
  );
  const p = track(spawn('haproxy', ['-f', config, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] }));
  // Up when it answers on the port (a 503 while no backend is up yet is an answer).
  const until = Date.now() + 30_000;
  for (;;) {
    if (p.child.exitCode !== null) throw new Error(`haproxy exited: ${p.output()}`);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) }).then(() => true, () => false);
    if (ok) return p;
    if (Date.now() > until) throw new Error(`haproxy does not answer on ${port}: ${p.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
