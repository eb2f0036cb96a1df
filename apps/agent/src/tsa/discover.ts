/**
 * The time-stamping authority of the CA the agent is installed for. A Qoltanba server lists its services at
 * `GET /api/v1/ca`: `tsaUrl` at the top (its default TSA, `null` when it runs none) and on each issuing CA. The
 * top-level one is taken, else the first CA's; a list that says nothing about a TSA (an older server) means
 * the DESIGN's `POST /tsp`; a list that says `null` means there is none to use.
 */
import { QtError } from '@qoltanba/pki';

const TIMEOUT_MS = 10_000;

function pick(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.tsaUrl === 'string') return v.tsaUrl;
  if (typeof v.tsa === 'string') return v.tsa;
  if (typeof v.tsa === 'object' && v.tsa !== null && typeof (v.tsa as Record<string, unknown>).url === 'string') return (v.tsa as Record<string, string>).url;
  return undefined;
}

export async function discoverTsaUrl(caUrl: string, fetchImpl: typeof fetch = fetch): Promise<string> {
  let base: URL;
  try {
    base = new URL(caUrl);
    if (!/^https?:$/.test(base.protocol)) throw new Error('not http(s)');
  } catch {
    throw new QtError('QT_ERR_INPUT_INVALID', `--ca must be the CA's web address (https://…), not ${caUrl}`);
  }
  const listUrl = new URL('/api/v1/ca', base);
  let body: unknown;
  try {
    const res = await fetchImpl(listUrl, { signal: AbortSignal.timeout(TIMEOUT_MS), headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    body = await res.json();
  } catch (e) {
    throw new QtError('QT_ERR_INPUT_INVALID', `Cannot read ${listUrl.href}: ${(e as Error).message}; give the TSA with --tsa-url instead`);
  }
  const list = typeof body === 'object' && body !== null ? (body as { cas?: unknown; tsaUrl?: unknown }) : {};
  const found = pick(list) ?? (Array.isArray(list.cas) ? list.cas.map(pick).find((u) => u !== undefined) : undefined);
  if (found) return new URL(found, base).href;
  const saysNone = list.tsaUrl === null && (!Array.isArray(list.cas) || list.cas.every((c) => (c as { tsaUrl?: unknown })?.tsaUrl === null));
  if (saysNone) throw new QtError('QT_ERR_INPUT_INVALID', `The CA at ${base.origin} runs no time-stamping authority; give one with --tsa-url`);
  return new URL('/tsp', base).href;
}
