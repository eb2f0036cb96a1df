/** What the protocol modules need from the running agent. */
import type { ConsentRegistry } from '../consent/registry.ts';
import type { ConsentPurpose } from '../consent/session.ts';
import { PickKeyFlow } from '../consent/flows/pick-key.ts';
import { describeRequirements, fits, type KeyRequirements } from '../keystores/filter.ts';
import type { KeySources, UsableKey } from '../keystores/types.ts';
import type { RequestContext } from '../protocol/dispatcher.ts';
import type { PendingKeyStore } from '../keygen/pending-store.ts';
import type { KeyInstaller } from '../keygen/installer.ts';
import type { TimeStamper } from '../tsa/client.ts';

export interface ModuleDeps {
  consents: ConsentRegistry;
  keys: KeySources;
  /** The agent's clock: signing time in CMS and the validity check of certificates. */
  now(): Date;
  pending: PendingKeyStore;
  installer: KeyInstaller;
  /** The configured TSA; methods that need a stamp refuse (before asking anyone) when there is none. */
  stamper?: TimeStamper;
}

export interface KeyUse<T> {
  purpose: ConsentPurpose;
  allowedStorages: readonly string[] | null;
  requirements: KeyRequirements;
  /** Getting a certificate shares it; everything else signs. */
  share?: boolean;
  perform(key: UsableKey): Promise<T>;
}

/** Asks the user, in the agent's own page, to pick a fitting key and allow this use of it. */
export function useKeyWithConsent<T>(deps: ModuleDeps, ctx: RequestContext, use: KeyUse<T>): Promise<T> {
  const flow = new PickKeyFlow<T>({
    sources: deps.keys,
    allowedStorages: use.allowedStorages,
    fits: (key) => fits(use.requirements, key),
    requirements: (t) => describeRequirements(use.requirements, t),
    confirmLabel: use.share ? 'button.share' : 'word.sign',
    successMessage: use.share ? 'result.shared' : 'result.signed',
    now: deps.now,
    perform: use.perform,
  });
  return deps.consents.ask({ origin: ctx.origin, site: ctx.site, locale: ctx.locale, signal: ctx.signal, purpose: use.purpose, flow });
}
