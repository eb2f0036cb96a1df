/**
 * wrk (Debian package `wrk`, a C load generator: the measurement is not the generator) driven from the benches,
 * with a Lua script that sends a list of bodies or paths in turn; and a helper that installs system tools the
 * benches need the way the test command installs its own (apt-get), or says exactly what is missing.
 */
import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface WrkResult {
  rps: number;
  requests: number;
  p50: number;
  p99: number;
  /** Non-2xx/3xx responses plus socket errors (connect, read, write, timeout). */
  errors: number;
}

/** The command is there, or apt-get installs `pkg` (as root, or with sudo), or this throws saying what to install. */
export function requireTool(command: string, pkg: string): void {
  if (spawnSync('sh', ['-c', `command -v ${command}`]).status === 0) return;
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  process.stderr.write(`[bench] ${command} is missing: apt-get install ${pkg}\n`);
  const run = (args: string[]) => spawnSync(sudo[0] ?? args[0]!, sudo.length ? [...sudo.slice(1), ...args] : args.slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', pkg]);
  if (spawnSync('sh', ['-c', `command -v ${command}`]).status !== 0) {
    throw new Error(`this bench needs ${command} (Debian package ${pkg}): install it with apt-get install ${pkg}`);
  }
}

/** A wrk Lua script sending `items` in turn: POST bodies, or GET paths. Written to `file`. */
export function wrkScript(file: string, method: 'POST' | 'GET', items: readonly (Uint8Array | string)[]): string {
  // Decimal escapes: valid in every Lua wrk may embed, for any byte.
  const lua = (b: Uint8Array | string) => `"${[...(typeof b === 'string' ? Buffer.from(b) : b)].map((x) => `\\${x}`).join('')}"`;
  const list = `local items = {\n${items.map((i) => `  ${lua(i)},`).join('\n')}\n}\n`;
  const next = `local n = 0\nlocal function nextItem()\n  n = n + 1\n  return items[(n % #items) + 1]\nend\n`;
  const request =
    method === 'POST'
      ? `request = function()\n  return wrk.format("POST", nil, { ["Content-Type"] = "application/ocsp-request" }, nextItem())\nend\n`
      : `request = function()\n  return wrk.format("GET", nextItem())\nend\n`;
  writeFileSync(file, list + next + request);
  return file;
}

/** wrk against `url` with the script; threads default to 2 (the load generator on the same two cores). */
export async function runWrk(url: string, options: { script: string; connections: number; seconds: number; threads?: number }): Promise<WrkResult> {
  const threads = Math.min(options.threads ?? 2, options.connections);
  const { stdout } = await exec('wrk', ['-t', String(threads), '-c', String(options.connections), '-d', `${options.seconds}s`, '--latency', '-s', options.script, url], { maxBuffer: 1 << 24 });
  return parseWrk(stdout);
}

export function parseWrk(out: string): WrkResult {
  const duration = (text: string | undefined): number => {
    const m = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? '');
    if (!m) return Number.NaN;
    const n = Number(m[1]);
    return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
  };
  const pct = (p: string) => duration(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  if (!Number.isFinite(rps)) throw new Error(`wrk printed no rate:\n${out}`);
  return { rps, requests, p50: pct('50'), p99: pct('99'), errors: non2xx + socketErrors };
}
