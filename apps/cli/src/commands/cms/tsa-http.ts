/** RFC 3161 over HTTP (§3.4): one POST of the query, the reply read with a size and time limit. */
import { QtError, toBytes, type Bytes, type TsaTransport } from '@qoltanba/pki';

const MAX_REPLY_BYTES = 1024 * 1024;

export function httpTsa(url: string, options: { timeoutMs?: number } = {}): TsaTransport {
  if (!/^https?:\/\//i.test(url)) throw new QtError('QT_ERR_INPUT_INVALID', `The TSA address must be an http(s) URL, not "${url}"`);
  return async (query: Bytes): Promise<Bytes> => {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
        body: query,
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
    } catch (e) {
      throw new QtError('QT_ERR_TSA_UNAVAILABLE', `The TSA at ${url} did not answer (${(e as Error).message})`, { url });
    }
    if (!res.ok) throw new QtError('QT_ERR_TSA_UNAVAILABLE', `The TSA at ${url} answered HTTP ${res.status}`, { url, status: res.status });
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > MAX_REPLY_BYTES) throw new QtError('QT_ERR_TOO_LARGE', `The TSA's reply is larger than ${MAX_REPLY_BYTES} bytes`);
    const body = toBytes(new Uint8Array(await res.arrayBuffer()));
    if (body.length > MAX_REPLY_BYTES) throw new QtError('QT_ERR_TOO_LARGE', `The TSA's reply is larger than ${MAX_REPLY_BYTES} bytes`);
    return body;
  };
}
