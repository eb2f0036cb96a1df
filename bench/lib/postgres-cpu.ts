/**
 * CPU time (ms) the PostgreSQL backends serving the store's database have used so far (Linux /proc of the backends
 * on this machine; 0 for PGlite, whose work is in this process's own CPU time, and for backends elsewhere). Read
 * before and after a measurement, beside process.cpuUsage(), it gives the CPU a piece of work cost — a figure the
 * neighbours on a shared machine cannot move, unlike wall-clock time.
 */
import { readFileSync } from 'node:fs';

export async function postgresCpuMs(store: { backend: string; pool: { query<R>(text: string): Promise<{ rows: R[] }> } }): Promise<number> {
  if (store.backend !== 'postgres') return 0;
  const { rows } = await store.pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
  const ticksPerMs = 100 / 1000; // USER_HZ
  let ticks = 0;
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // a backend on another machine, or gone
    }
  }
  return ticks / ticksPerMs;
}
