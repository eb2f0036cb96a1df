/**
 * RFC 3161 over HTTP (§3.4): one POST of the query (application/timestamp-query), the reply
 * (application/timestamp-reply) read with a time and size bound — the one transport the agent (CAdES-T
 * for sites) and the CLI (`cms sign --tsa`) both use. Checking what comes back is the caller's:
 * obtainTimeStamp / acceptTimeStampResponse (status, imprint, nonce).
 */
import { QtError } from '@qoltanba/errors';
import { concatBytes, type Bytes } from '../encoding.ts';

/**
 * How a time-stamp query reaches a TSA: DER TimeStampReq in (application/timestamp-query), DER TimeStampResp
 * out (application/timestamp-reply). `httpTsaTransport` below is the HTTP POST the CLI and the agent use; a
 * test or another channel may pass anything else. It should throw QT_ERR_TSA_UNAVAILABLE when no answer came.
 */
export type TsaTransport = (query: Bytes) => Promise<Bytes>;

/** A TSA answers in well under a second; a slow one must not hold a confirmed signature forever. */
const TIMEOUT_MS = 20_000;
/** A token with its TSA chain is a few KiB. */
const MAX_REPLY_BYTES = 1 << 20;

export function httpTsaTransport(url: string, options: { timeoutMs?: number } = {}): TsaTransport {
  if (!/^https?:\/\//i.test(url)) throw new QtError('QT_ERR_INPUT_INVALID', `The time-stamping authority's address must be an http(s) URL, not "${url}"`);
  return async (query: Bytes): Promise<Bytes> => {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
        body: query,
        signal: AbortSignal.timeout(options.timeoutMs ?? TIMEOUT_MS),
        // A TSA does not move; a redirect would send the query somewhere nobody configured.
        redirect: 'error',
      });
    } catch (e) {
      const inner = (e as { cause?: { code?: string; message?: string } }).cause;
      const cause = inner?.code ?? inner?.message ?? (e as Error).message;
      throw new QtError('QT_ERR_TSA_UNAVAILABLE', `The time-stamping authority ${url} cannot be reached (${cause})`, { url });
    }
    if (!res.ok) throw new QtError('QT_ERR_TSA_UNAVAILABLE', `The time-stamping authority ${url} answered HTTP ${res.status}`, { url, status: res.status });
    const tooLarge = (n: number) => new QtError('QT_ERR_TSP_MALFORMED', `The time-stamping authority ${url} sent ${n} bytes, not a time-stamp reply`, { url });
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > MAX_REPLY_BYTES) throw tooLarge(declared);
    return readBounded(res, MAX_REPLY_BYTES, tooLarge);
  };
}

/** The body, stopped as soon as it passes `max` bytes (a chunked reply declares no length). */
async function readBounded(res: Response, max: number, tooLarge: (n: number) => Error): Promise<Bytes> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(total);
    }
    chunks.push(value);
  }
  return concatBytes(...chunks);
}
