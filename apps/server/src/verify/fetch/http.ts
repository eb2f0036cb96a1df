/**
 * One bounded HTTP exchange for revocation evidence: http or https only, a size limit read while the body
 * streams (a CRL larger than allowed is cut off, never buffered), one deadline from connection to last
 * byte, a few redirects, and no connection to an address the configuration forbids — checked on the
 * resolved address, so a name that resolves into a forbidden network is refused too. node:http rather than
 * fetch(): it lets us check the address the connection actually uses (the `lookup` hook).
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';
import { QtError, type Bytes } from '@qoltanba/pki';

export interface HttpLimits {
  timeoutMs: number;
  maxBytes: number;
  forbidden: BlockList;
  /** The whole request's deadline (epoch ms); a fetch never outlives it. */
  deadline?: number | undefined;
}

export interface HttpRequest {
  url: string;
  method?: 'GET' | 'POST';
  body?: Bytes;
  contentType?: string;
}

const MAX_REDIRECTS = 3;

export function blockListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address, bits] = cidr.split('/');
    const type = isIP(address ?? '') === 6 ? 'ipv6' : 'ipv4';
    if (!address || !isIP(address)) throw new QtError('QT_ERR_INPUT_INVALID', `verify.fetch.forbid: "${cidr}" is not an address or CIDR`);
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}

export function isForbidden(address: string, list: BlockList): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const plain = mapped ?? address;
  return list.check(plain, isIP(plain) === 6 ? 'ipv6' : 'ipv4');
}

/** The body of a 200 answer; anything else (status, size, time, address, network) throws a QtError saying what. */
export async function httpFetch(request: HttpRequest, limits: HttpLimits): Promise<Bytes> {
  let url = request.url;
  for (let hop = 0; ; hop++) {
    const answer = await exchange(url, request, limits);
    if (answer.redirect === undefined) return answer.body;
    if (request.method === 'POST' || hop >= MAX_REDIRECTS) throw failure(request.url, hop >= MAX_REDIRECTS ? `redirected more than ${MAX_REDIRECTS} times` : `answered an OCSP POST with a redirect (${answer.status})`);
    url = new URL(answer.redirect, url).toString();
  }
}

interface Answer {
  status: number;
  body: Bytes;
  redirect: string | undefined;
}

function exchange(url: string, request: HttpRequest, limits: HttpLimits): Promise<Answer> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.reject(failure(url, 'not a URL'));
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return Promise.reject(failure(url, `not fetched: only http and https are, not ${target.protocol}`));
  const literal = target.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal) && isForbidden(literal, limits.forbidden)) return Promise.reject(failure(url, `not fetched: ${literal} is an address the configuration forbids`));
  const budget = Math.min(limits.timeoutMs, limits.deadline !== undefined ? limits.deadline - Date.now() : Number.POSITIVE_INFINITY);
  if (budget <= 0) return Promise.reject(failure(url, 'not fetched: the time allowed for this request is used up'));

  return new Promise<Answer>((resolve, reject) => {
    const client = target.protocol === 'https:' ? https : http;
    let settled = false;
    const finish = (e: Error | undefined, answer?: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (e) {
        req.destroy();
        reject(e);
      } else resolve(answer as Answer);
    };
    const req = client.request(target, {
      method: request.method ?? 'GET',
      headers: {
        'user-agent': 'Qoltanba verifier',
        accept: '*/*',
        ...(request.body ? { 'content-type': request.contentType ?? 'application/octet-stream', 'content-length': String(request.body.length) } : {}),
      },
      lookup: guardedLookup(limits.forbidden),
    });
    const timer = setTimeout(() => finish(failure(url, `no complete answer within ${Math.round(budget)} ms`)), budget);
    req.on('error', (e) => finish(failure(url, describeNetworkError(e))));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        finish(undefined, { status, body: new Uint8Array(), redirect: res.headers.location });
        return;
      }
      if (status !== 200) {
        res.resume();
        finish(failure(url, `answered HTTP ${status}`));
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > limits.maxBytes) {
        finish(tooLarge(url, limits.maxBytes));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limits.maxBytes) finish(tooLarge(url, limits.maxBytes));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        finish(undefined, { status, body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength), redirect: undefined });
      });
      res.on('error', (e) => finish(failure(url, describeNetworkError(e))));
    });
    req.end(request.body ? Buffer.from(request.body) : undefined);
  });
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup that refuses names resolving to a forbidden address (every address is checked). */
function guardedLookup(forbidden: BlockList) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as LookupAddress[];
      const bad = list.find((a) => isForbidden(a.address, forbidden));
      if (bad) {
        const e: NodeJS.ErrnoException = new Error(`${hostname} resolves to ${bad.address}, which the configuration forbids`);
        e.code = 'QT_FORBIDDEN_ADDRESS';
        return callback(e, []);
      }
      if (options.all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}

function describeNetworkError(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'connection refused (the service is down)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name cannot be resolved';
    case 'ECONNRESET':
      return 'the connection was reset';
    case 'QT_FORBIDDEN_ADDRESS':
      return e.message;
    default:
      return e.message || String(e.code);
  }
}

/** Messages say what happened, not where: the caller names the URL (the verdict lists "OCSP <url>: …"). */
function failure(url: string, why: string): QtError {
  return new QtError('QT_ERR_REVOCATION_UNKNOWN', why, { url });
}

function tooLarge(url: string, limit: number): QtError {
  return new QtError('QT_ERR_TOO_LARGE', `larger than the ${limit} bytes allowed`, { url, limit });
}
