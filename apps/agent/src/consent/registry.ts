/**
 * The open consent sessions. A request that needs the user asks here: a session is created, its page is
 * opened, and the request waits until the user answers, the time runs out, or the calling page goes away.
 */
import { QtError, isQtError } from '@qoltanba/pki';
import type { Locale } from '@qoltanba/i18n';
import type { SiteAccess } from '../origins/site-access.ts';
import { ConsentSession, type ConsentFlow, type ConsentPurpose } from './session.ts';
import { SiteQuestionFlow } from './flows/site-question.ts';
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
  /**
   * The calling page's access: a refused site is turned away before any window opens; a site not seen before is
   * asked about first, in the same window, before the flow's own steps.
   */
  site?: SiteAccess;
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
    const siteStatus = request.site?.status();
    if (siteStatus === 'refused') throw new QtError('QT_ERR_AGENT_ORIGIN_REFUSED');
    if (this.openCount() >= this.maxOpen) throw new QtError('QT_ERR_AGENT_BUSY', 'Too many confirmations are waiting for the user');
    if (siteStatus === 'unseen') this.oneQuestionPerSite(request.origin);
    const flow = siteStatus === 'unseen' ? new SiteQuestionFlow<T>(request.site as SiteAccess, request.flow) : request.flow;
    const session = new ConsentSession<T>(request.origin, request.locale, request.purpose, flow, this.attempts);
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

  /**
   * Makes sure the calling site may use the agent, for requests that show the person nothing else (the list
   * of plugged-in tokens): allowed sites pass at once, refused ones get an error, a new one is asked about.
   */
  async admit(site: SiteAccess, locale: Locale, signal: AbortSignal): Promise<void> {
    const status = site.status();
    if (status === 'allowed') return;
    if (status === 'refused') throw new QtError('QT_ERR_AGENT_ORIGIN_REFUSED');
    this.oneQuestionPerSite(site.origin);
    await this.ask<undefined>({ origin: site.origin, locale, signal, purpose: { kind: 'site' }, flow: new SiteQuestionFlow<undefined>(site) });
  }

  /** A site nobody has answered about gets one window at a time: it cannot bury the person under questions. */
  private oneQuestionPerSite(origin: string): void {
    if ([...this.sessions.values()].some((s) => !s.finished && s.origin === origin)) {
      throw new QtError('QT_ERR_AGENT_BUSY', 'The person is already being asked about this site');
    }
  }

  /** Refuses every open session (the agent is stopping). */
  closeAll(): void {
    for (const s of this.sessions.values()) s.fail('QT_ERR_AGENT_CANCELLED', 'result.withdrawn');
    this.sessions.clear();
  }
}
