/**
 * The open consent sessions. A request that needs the user asks here: a session is created, its page is
 * opened, and the request waits until the user answers, the time runs out, or the calling page goes away.
 */
import { QtError, isQtError } from '@qoltanba/pki';
import type { Locale } from '@qoltanba/i18n';
import { ConsentSession, type ConsentFlow, type ConsentPurpose } from './session.ts';
import type { ConsentOpener } from './opener.ts';

export interface ConsentRegistryOptions {
  /** e.g. "http://127.0.0.1:13579"; the consent page lives on the agent's own origin. */
  baseUrl(): string;
  open: ConsentOpener;
  /** How long the user has to answer (default 5 minutes). */
  timeoutMs?: number;
  /** Wrong passwords/PINs allowed per request (default 3). */
  attempts?: number;
  /** Sessions open at once; more are refused so a site cannot flood the user with windows (default 8). */
  maxOpen?: number;
  /** How long a finished session still shows its result page (default 2 minutes). */
  keepFinishedMs?: number;
}

export interface ConsentRequest<T> {
  origin: string;
  locale: Locale;
  signal: AbortSignal;
  purpose: ConsentPurpose;
  flow: ConsentFlow<T>;
}

export class ConsentRegistry {
  private readonly sessions = new Map<string, ConsentSession<unknown>>();
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly maxOpen: number;
  private readonly keepFinishedMs: number;

  constructor(private readonly options: ConsentRegistryOptions) {
    this.timeoutMs = options.timeoutMs ?? 5 * 60_000;
    this.attempts = options.attempts ?? 3;
    this.maxOpen = options.maxOpen ?? 8;
    this.keepFinishedMs = options.keepFinishedMs ?? 2 * 60_000;
  }

  get(id: string): ConsentSession<unknown> | undefined {
    return this.sessions.get(id);
  }

  private openCount(): number {
    let n = 0;
    for (const s of this.sessions.values()) if (!s.finished) n++;
    return n;
  }

  /** Asks the user; resolves with what the flow produced, or rejects (cancelled, expired, attempts, failure). */
  async ask<T>(request: ConsentRequest<T>): Promise<T> {
    if (request.signal.aborted) throw new QtError('QT_ERR_AGENT_CANCELLED');
    if (this.openCount() >= this.maxOpen) throw new QtError('QT_ERR_AGENT_BUSY', 'Too many confirmations are waiting for the user');
    const session = new ConsentSession<T>(request.origin, request.locale, request.purpose, request.flow, this.attempts);
    this.sessions.set(session.id, session as ConsentSession<unknown>);
    const timer = setTimeout(() => session.fail('QT_ERR_AGENT_CONSENT_EXPIRED', 'result.expired'), this.timeoutMs);
    const withdraw = () => session.fail('QT_ERR_AGENT_CANCELLED', 'result.withdrawn');
    request.signal.addEventListener('abort', withdraw, { once: true });
    try {
      try {
        await this.options.open(`${this.options.baseUrl()}/consent/${session.id}`);
      } catch (e) {
        const error = isQtError(e) ? e : new QtError('QT_ERR_AGENT_CONSENT_UNAVAILABLE');
        session.fail(error.code, 'result.failed', { reason: error.message }, error);
      }
      return await session.outcome;
    } finally {
      clearTimeout(timer);
      request.signal.removeEventListener('abort', withdraw);
      setTimeout(() => this.sessions.delete(session.id), this.keepFinishedMs).unref();
    }
  }

  /** Refuses every open session (the agent is stopping). */
  closeAll(): void {
    for (const s of this.sessions.values()) s.fail('QT_ERR_AGENT_CANCELLED', 'result.withdrawn');
    this.sessions.clear();
  }
}
