/** Starts the real `qoltanba up` as a child process on a data directory (port 0), for tests of what runs beside it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../../test/support/fixtures.ts';

export interface RunningUp {
  child: ChildProcess;
  url: string;
  port: number;
  adminSocket: string | null;
  /** SIGTERM and the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash, leaving whatever it had open. */
  kill(): Promise<void>;
}

/** `args` go before `up` (--home, --passphrase-file), `upArgs` after it (--workers). */
export async function startUp(args: string[], env: NodeJS.ProcessEnv, upArgs: string[] = []): Promise<RunningUp> {
  const child = spawn(process.execPath, [join(repoRoot, 'apps/cli/bin/qoltanba.mjs'), ...args, '--json', 'up', '--port', '0', ...upArgs], {
    env: { LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = once(child, 'exit');
  const started = await Promise.race([
    (async () => {
      // The --json summary is one pretty-printed object: from a line "{" to a line "}".
      for (;;) {
        const m = /^\{\n[\s\S]*?\n\}$/m.exec(out);
        if (m) return JSON.parse(m[0]) as { url: string; adminSocket: string | null };
        await once(child.stdout!, 'data');
      }
    })(),
    exited.then(([code]) => {
      throw new Error(`qoltanba up exited with ${code} before serving:\n${out}\n${err}`);
    }),
  ]);
  let stopped: Promise<number | null> | undefined;
  return {
    child,
    url: started.url,
    port: Number(new URL(started.url).port),
    adminSocket: started.adminSocket,
    stop: () =>
      (stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const [code] = (await exited) as [number | null];
        return code;
      })()),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** TCP ports a process listens on, from /proc (its socket inodes matched against the kernel's TCP tables). */
export function listeningTcpPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed while we looked
    }
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st … inode: state 0A is LISTEN.
      if (f.length > 9 && f[3] === '0A' && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports.sort((a, b) => a - b);
}
