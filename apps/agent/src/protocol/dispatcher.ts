/** Routes a request to its module's method and turns the outcome into exactly one reply of the module's family. */
import { QtError } from '@qoltanba/pki';
import type { Locale } from '@qoltanba/i18n';
import { reply, type AgentReply, type AgentRequest, type ReplyFamily } from './envelope.ts';
import { failureReply, type BasicsFailureCode } from './replies.ts';

/** What a method may know about the call besides its arguments. */
export interface RequestContext {
  /** The calling site's origin, already checked against the allow-list; shown on the consent page. */
  readonly origin: string;
  /** The language of the consent UI for this connection (changeLocale / basics `locale`). */
  readonly locale: Locale;
  setLocale(locale: Locale): void;
  /** Aborted when the calling page goes away; a waiting consent is then withdrawn. */
  readonly signal: AbortSignal;
}

export interface AgentMethod {
  /** basics code reported when the method's own work fails (NCALayer has one per kind of work). */
  workFailure?: BasicsFailureCode;
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
