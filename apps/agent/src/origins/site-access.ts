/**
 * Which sites may use the agent. NCALayer serves any site; so does the agent, but a site it has not seen
 * before is asked about first, in the agent's own page: allow once (while that page stays connected), always
 * (remembered), or refuse (remembered; the site then gets an error without the person being bothered again).
 * Sites named in the configuration (`--allow-origin`) are allowed without asking.
 *
 * Nothing here is ever told to a page: a site learns only how its own requests end, never the list.
 */
import type { OriginPolicy } from '../server/security.ts';
import type { SiteDecision, SiteDecisionStore } from './store.ts';

export type SiteStatus = 'allowed' | 'refused' | 'unseen';

export class SitePolicy {
  constructor(
    private readonly configured: OriginPolicy,
    private readonly store: SiteDecisionStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  status(origin: string): SiteStatus {
    if (this.configured.allows(origin)) return 'allowed';
    const remembered = this.store.get(origin);
    if (remembered?.decision === 'always') return 'allowed';
    if (remembered?.decision === 'refused') return 'refused';
    return 'unseen';
  }

  remember(origin: string, decision: SiteDecision): void {
    this.store.remember(origin, decision, this.now());
  }

  /** The access of one connected page: its origin, plus "allowed once" for as long as it stays connected. */
  forConnection(origin: string): SiteAccess {
    return new SiteAccess(origin, this);
  }
}

export type SiteAnswer = 'once' | SiteDecision;

export class SiteAccess {
  private allowedOnce = false;

  constructor(
    readonly origin: string,
    private readonly policy: SitePolicy,
  ) {}

  status(): SiteStatus {
    const status = this.policy.status(this.origin);
    return status === 'unseen' && this.allowedOnce ? 'allowed' : status;
  }

  /** Records the person's answer (from the agent's own page, never from the site). */
  answer(answer: SiteAnswer): void {
    if (answer === 'once') this.allowedOnce = true;
    else this.policy.remember(this.origin, answer);
  }
}
