/**
 * TEST AND BENCH SUPPORT ONLY: the portal plugin on the real HTTP app (createHttpApp) over a real CA
 * fixture, with a clock tests can move, the development SMS sink, and a cookie-keeping client that behaves
 * like a browser would (sends the session cookie, the Origin, the page's CSRF token).
 */
import type { FastifyInstance } from 'fastify';
import type { LightMyRequestResponse } from 'fastify';
import { createHttpApp } from '../../http/app.ts';
import { SmsSink, silentLog } from '../../notify/index.ts';
import { caFixture, type CaFixture, type CaFixtureOptions } from '../../ra/testing/fixture.ts';
import type { Store } from '../../store/index.ts';
import type { ServerContext } from '../../context.ts';
import { createPortalDeps } from '../feature.ts';
import type { PortalDeps } from '../deps.ts';
import type { PortalOptions } from '../options.ts';
import { portalPlugin, type PortalExtension } from '../plugin.ts';
import { signAs, type Citizen, type CitizenKey } from './citizens.ts';

export interface MovableClock {
  now(): Date;
  advance(ms: number): void;
  reset(): void;
}

export function movableClock(): MovableClock {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms) => void (offset += ms), reset: () => void (offset = 0) };
}

export interface PortalHarness {
  fx: CaFixture;
  ctx: ServerContext;
  clock: MovableClock;
  deps: PortalDeps;
  sms: SmsSink;
  app: FastifyInstance;
  /** A new browser; `ip` is the client address the server sees (default 127.0.0.1). */
  client(ip?: string): PortalClient;
  close(): Promise<void>;
}

export async function portalHarness(
  store: Store,
  options: PortalOptions & { fixture?: CaFixtureOptions; extensions?: readonly PortalExtension[] } = {},
): Promise<PortalHarness> {
  const fx = await caFixture(store, options.fixture);
  const clock = movableClock();
  const ctx: ServerContext = { ...fx.ctx, now: clock.now };
  const sms = new SmsSink({ type: 'log' }, silentLog);
  const { extensions, ...portalOptions } = options;
  const { deps, close } = createPortalDeps(ctx, { ...portalOptions, sms, status: fx.status });
  const app = createHttpApp({ bodyLimit: ctx.config.limits.bodyBytes });
  await app.register(portalPlugin, { deps, extensions: extensions ?? [] });
  await app.ready();
  return {
    fx,
    ctx,
    clock,
    deps,
    sms,
    app,
    client: (ip?: string) => new PortalClient(app, deps.origin, ip),
    async close() {
      await app.close();
      await close();
      await fx.close();
    },
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

/** A browser without a screen: keeps cookies, sends Origin and the CSRF token of the last page it read. */
export class PortalClient {
  readonly cookies = new Map<string, string>();
  csrf: string | undefined;

  constructor(
    private readonly app: FastifyInstance,
    readonly origin: string,
    readonly ip: string = '127.0.0.1',
  ) {}

  #answer(res: LightMyRequestResponse): Answer {
    for (const c of res.cookies as { name: string; value: string; expires?: Date; maxAge?: number }[]) {
      if (c.value === '' || (c.expires && c.expires.getTime() < Date.now()) || c.maxAge === 0) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    const body = res.body;
    const meta = /<meta name="csrf-token" content="([^"]+)">/.exec(body);
    if (meta) this.csrf = meta[1];
    return { status: res.statusCode, headers: res.headers, body, json: <T>() => JSON.parse(body) as T };
  }

  #cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
    return this.#answer(await this.app.inject({ method: 'GET', url, remoteAddress: this.ip, headers: { cookie: this.#cookieHeader(), ...headers } }));
  }

  async postJson(url: string, payload: unknown, o: { origin?: string | null; csrf?: string | null } = {}): Promise<Answer> {
    const headers: Record<string, string> = { cookie: this.#cookieHeader(), 'content-type': 'application/json' };
    const origin = o.origin === undefined ? this.origin : o.origin;
    const csrf = o.csrf === undefined ? this.csrf : o.csrf;
    if (origin) headers.origin = origin;
    if (csrf) headers['x-csrf-token'] = csrf;
    return this.#answer(await this.app.inject({ method: 'POST', url, remoteAddress: this.ip, headers, payload: JSON.stringify(payload) }));
  }

  async postForm(url: string, fields: Record<string, string>, o: { origin?: string | null; csrf?: string | null } = {}): Promise<Answer> {
    const origin = o.origin === undefined ? this.origin : o.origin;
    const csrf = o.csrf === undefined ? this.csrf : o.csrf;
    const form = new URLSearchParams({ ...fields, ...(csrf ? { _csrf: csrf } : {}) });
    const headers: Record<string, string> = { cookie: this.#cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' };
    if (origin) headers.origin = origin;
    return this.#answer(await this.app.inject({ method: 'POST', url, remoteAddress: this.ip, headers, payload: form.toString() }));
  }

  /** The whole sign-in: the login page, a challenge, the AUTH key's signature over it. */
  async login(c: Citizen, key: CitizenKey = c.auth): Promise<Answer> {
    await this.get('/login');
    const challenge = (await this.postJson('/login/challenge', {})).json<{ id: string; content: string }>();
    const res = await this.postJson('/login', { challengeId: challenge.id, cms: await signAs(key, challenge.content) });
    if (res.status === 200) await this.get('/keys');
    return res;
  }
}
