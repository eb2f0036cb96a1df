/** Routes a request to its module's method and turns the outcome into exactly one reply of the module's family. */
import { QtError } from '@qoltanba/pki';
import type { Locale } from '@qoltanba/i18n';
import type { SiteAccess } from '../origins/site-access.ts';
import { reply, type AgentReply, type AgentRequest, type ReplyFamily } from './envelope.ts';
import { failureReply, type BasicsFailureCode } from './replies.ts';

/** What a method may know about the call besides its arguments. */
export interface RequestContext {
  /** The calling site's origin (scheme://host[:port]); shown on the consent page. */
  readonly origin: string;
  /** Whether the person allowed this site (asked about in the agent's own page when it is new). */
  readonly site: SiteAccess;
  /** The language of the consent UI for this connection (changeLocale / basics `locale`). */
  readonly locale: Locale;
  setLocale(locale: Locale): void;
  /** Aborted when the calling page goes away; a waiting consent is then withdrawn. */
  readonly signal: AbortSignal;
}

export interface AgentMethod {
  /** basics code reported when the method's own work fails (NCALayer has one per kind of work). */
  workFailure?: BasicsFailureCode;
  /**
   * What the site must be allowed for this method (default "ask"):
   *  - "none": anyone may call it (changeLocale: it reveals and does nothing);
   *  - "ask": the dispatcher makes sure first (a new site is asked about in a window of its own);
   *  - "consent": the method opens the consent page itself, which asks about a new site in the same window;
   *    a refused site is still turned away here, before its arguments are even read.
   */
  site?: 'none' | 'ask' | 'consent';
  /** Returns the reply payload: `responseObject` (common) or `body.result` (basics). */
  run(args: unknown, ctx: RequestContext): Promise<unknown>;
}

export interface AgentModule {
  readonly name: string;
  readonly family: ReplyFamily;
  readonly methods: Readonly<Record<string, AgentMethod>>;
}

export interface DispatchObserver {
  (event: { origin: string; module: string; method: string; outcome: 'ok' | 'cancelled' | 'error'; code?: string; ms: number }): void;
}

export class Dispatcher {
  private readonly modules = new Map<string, AgentModule>();

  constructor(
    modules: readonly AgentModule[],
    /** Lets the calling site in (or throws QT_ERR_AGENT_ORIGIN_REFUSED), asking the person when it is new. */
    private readonly admit: (ctx: RequestContext) => Promise<void>,
    private readonly observe: DispatchObserver = () => {},
  ) {
    for (const m of modules) this.modules.set(m.name, m);
  }

  async dispatch(request: AgentRequest, ctx: RequestContext): Promise<AgentReply> {
    const started = performance.now();
    const mod = this.modules.get(request.module);
    const family: ReplyFamily = mod?.family ?? 'common';
    const method = mod && Object.hasOwn(mod.methods, request.method) ? mod.methods[request.method] : undefined;
    const done = (outcome: 'ok' | 'cancelled' | 'error', code?: string) =>
      this.observe({ origin: ctx.origin, module: request.module, method: request.method, outcome, code, ms: performance.now() - started });
    try {
      if (!mod) throw new QtError('QT_ERR_AGENT_MODULE_UNKNOWN', `Module not found: ${request.module}`);
      if (!method) throw new QtError('QT_ERR_AGENT_METHOD_UNKNOWN', `Method not found: ${request.module}.${request.method}`);
      const access = method.site ?? 'ask';
      if (access === 'ask') await this.admit(ctx);
      else if (access === 'consent' && ctx.site.status() === 'refused') throw new QtError('QT_ERR_AGENT_ORIGIN_REFUSED');
      const result = await method.run(request.args, ctx);
      done('ok');
      return family === 'common' ? reply.commonOk(result) : reply.basicsOk(result);
    } catch (error) {
      const code = error instanceof QtError ? error.code : 'QT_ERR_INTERNAL';
      done(code === 'QT_ERR_AGENT_CANCELLED' ? 'cancelled' : 'error', code);
      return failureReply(error, { family, method: request.method, workFailure: method?.workFailure });
    }
  }
}
