/**
 * BENCH SUPPORT: CPU time (user + system, every thread) that a set of processes used, from Linux /proc — the
 * figure that stays meaningful when other work shares the machine, unlike requests per second.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** Milliseconds of CPU the processes have used so far (processes that are gone count 0). */
export function cpuMillis(pids: readonly number[]): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      // utime and stime: fields 14 and 15 of stat, 12 and 13 after "pid (comm) ".
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return (ticks * 1000) / ticksPerSecond;
}

/** The child processes of `pid` (nginx's workers under its master), from /proc. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
