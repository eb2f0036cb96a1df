/** OpenSSL baselines: the same work done by the openssl CLI on this machine, measured in the same run. */
import { execFileSync, spawnSync } from 'node:child_process';

export function openssl(args: string[], input?: string | Uint8Array): Buffer {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
}

export function opensslVersion(): string {
  return openssl(['version']).toString().trim();
}

/** `openssl speed` signing and verifying rates for one RSA size (the ceiling any CA on this CPU can reach per core). */
export function opensslRsaSpeed(bits: 2048 | 3072 | 4096, seconds = 3): { signPerSec: number; verifyPerSec: number } {
  const r = spawnSync('openssl', ['speed', '-mr', '-seconds', String(seconds), `rsa${bits}`], { encoding: 'utf8' });
  // Machine-readable line: +F2:<index>:<bits>:<sign/s>:<verify/s>
  const line = r.stdout.split('\n').find((l) => l.startsWith('+F2:') && l.split(':')[2] === String(bits));
  if (!line) throw new Error(`openssl speed rsa${bits} printed no result: ${r.stderr}`);
  const [, , , sign, verify] = line.split(':');
  return { signPerSec: Number(sign), verifyPerSec: Number(verify) };
}

/** Peak resident memory (kB) and wall time of a command, through GNU time when present. */
export function timedCommand(cmd: string, args: string[]): { ms: number; maxRssKb: number | undefined } {
  const start = performance.now();
  const useTime = spawnSync('/usr/bin/time', ['--version']).status === 0;
  const r = useTime
    ? spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 })
    : spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  const rss = useTime ? Number(r.stderr.trim().split('\n').pop()) : undefined;
  return { ms, maxRssKb: Number.isFinite(rss) ? rss : undefined };
}
