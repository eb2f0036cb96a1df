/**
 * The load generator, run as its own process (so it does not share an event loop with the server it
 * measures): autocannon against one URL, rotating through the given request bodies or paths. Prints one
 * JSON line: requests/s, latency p50/p99 (ms), and failures.
 */
import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  /** Base64 bodies (POST) or paths (GET), used in turn. */
  bodies?: string[];
  paths?: string[];
  connections: number;
  durationSeconds: number;
}

export interface LoadResult {
  rps: number;
  total: number;
  p50: number;
  p99: number;
  failures: number;
}

const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec;
const bodies = spec.bodies?.map((b) => Buffer.from(b, 'base64'));
let next = 0;
const result = await autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.durationSeconds,
  method: spec.method,
  headers: spec.method === 'POST' ? { 'content-type': 'application/ocsp-request' } : {},
  requests: [
    {
      setupRequest: (req) => {
        const i = next++;
        if (bodies) return { ...req, body: bodies[i % bodies.length] };
        if (spec.paths) return { ...req, path: spec.paths[i % spec.paths.length] };
        return req;
      },
    },
  ],
});
const out: LoadResult = {
  rps: result.requests.average,
  total: result.requests.total,
  p50: result.latency.p50,
  p99: result.latency.p99,
  failures: result.non2xx + result.errors + result.timeouts,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
