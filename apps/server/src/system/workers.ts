/**
 * Several processes serving one port, one per core (node:cluster): `qoltanba up --workers N`. Each worker is a
 * whole node — its own database pool, signer handles, OCSP cache and change feed — exactly as if N nodes ran on
 * one PostgreSQL, which everything in the server already allows (status/service.ts, status/ocsp/feed.ts). The
 * primary only forks, hands out connections, restarts a worker that dies and stops them all.
 *
 * Worker 1 starts alone first: it runs migrations, the CA ceremony of a fresh installation and settles the public
 * address, so the others never race it; it also keeps the roles given (the schedule's 'worker' role included).
 * Workers 2…N start once it serves, on the same port, without the 'worker' role — periodic work stays once per
 * node. PGlite cannot be shared between processes (one process owns the data directory), so several workers
 * need PostgreSQL (QT_ERR_STORE_UNSUPPORTED otherwise).
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { QtError } from '@qoltanba/pki';

const INDEX_ENV = 'QOLTANBA_WORKER_INDEX';

/** This process's worker number (1…N) under `--workers`, or undefined when it is not a worker. */
export function workerIndex(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const n = Number(process.env[INDEX_ENV]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** "auto" (or 0): one per core; otherwise a positive whole number. */
export function parseWorkers(text: string | number | undefined): number {
  if (text === undefined) return 1;
  if (text === 'auto' || text === 0 || text === '0') return availableParallelism();
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new QtError('QT_ERR_INPUT_INVALID', `--workers must be a whole number from 1 to 256 or "auto", not "${text}"`);
  return n;
}

export function requireSharedDatabase(workers: number, databaseUrl: string | undefined): void {
  if (workers > 1 && !databaseUrl) {
    throw new QtError(
      'QT_ERR_STORE_UNSUPPORTED',
      `--workers ${workers} needs PostgreSQL (DATABASE_URL): the embedded database belongs to one process; start one process, or set DATABASE_URL`,
      { capability: 'parallelConnections', backend: 'pglite' },
    );
  }
}

/** What a worker tells the primary once it serves. `summary` is the first worker's, for the primary to print. */
export interface WorkerReady<S> {
  type: 'qoltanba-worker-ready';
  index: number;
  port: number;
  summary: S;
}

export function reportReady<S>(port: number, summary: S): void {
  const index = workerIndex();
  if (!index || !process.send) return;
  const message: WorkerReady<S> = { type: 'qoltanba-worker-ready', index, port, summary };
  process.send(message);
}

export interface WorkerPool<S> {
  /** What worker 1 reported when it first served. */
  first: WorkerReady<S>;
  /** Process ids of the workers now running. */
  pids(): number[];
  /** SIGTERM to every worker; resolves when all have exited. */
  stop(): Promise<void>;
}

export interface StartWorkersOptions {
  count: number;
  log: { info(m: string): void; warn(m: string): void; error(m: string): void };
  /** A worker that exits this soon after starting is not restarted (it would only fail again): ms. */
  minUptimeMs?: number;
}

/** In the primary: forks worker 1, waits for it to serve, then the rest; restarts any that die. */
export async function startWorkers<S>(options: StartWorkersOptions): Promise<WorkerPool<S>> {
  const minUptime = options.minUptimeMs ?? 5_000;
  const running = new Map<number, Worker>();
  let stopping = false;

  const fork = (index: number): Promise<WorkerReady<S>> => {
    // Every worker listens on the port it was given, as the first did: node:cluster shares one listening socket
    // per (address, port asked for) — port 0 included, which gives every worker the one port the first got.
    const worker = cluster.fork({ [INDEX_ENV]: String(index) });
    running.set(index, worker);
    const startedAt = performance.now();
    let served = false;
    return new Promise((resolve, reject) => {
      worker.on('message', (m: WorkerReady<S>) => {
        if (m?.type !== 'qoltanba-worker-ready') return;
        served = true;
        resolve(m);
      });
      worker.on('exit', (code, signal) => {
        if (running.get(index) === worker) running.delete(index);
        if (!served) {
          reject(new QtError('QT_ERR_INTERNAL', `worker ${index} exited before serving (${signal ?? `code ${code}`})`));
          return;
        }
        // Exit code 0 is a worker told to stop (SIGINT from the terminal reaches every worker too).
        if (stopping || code === 0) return;
        if (performance.now() - startedAt < minUptime) {
          options.log.error(`worker ${index} (pid ${worker.process.pid}) exited (${signal ?? `code ${code}`}) within ${minUptime} ms of starting: not restarted`);
          return;
        }
        options.log.warn(`worker ${index} (pid ${worker.process.pid}) exited (${signal ?? `code ${code}`}); starting another`);
        fork(index).catch((e: unknown) => options.log.error(`worker ${index} could not be restarted: ${(e as Error).message}`));
      });
    });
  };

  const stop = async () => {
    stopping = true;
    const exits = [...running.values()].map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))));
    for (const w of running.values()) w.process.kill('SIGTERM');
    await Promise.all(exits);
  };

  try {
    const first = await fork(1);
    await Promise.all(Array.from({ length: options.count - 1 }, (_, i) => fork(i + 2)));
    return { first, pids: () => [...running.values()].map((w) => w.process.pid!).filter(Boolean), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
