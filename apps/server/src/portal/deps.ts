/** What the portal's routes are built from: the server's context and the services the portal calls. */
import type { ServerContext } from '../context.ts';
import type { Ra } from '../ra/index.ts';
import type { StatusService } from '../status/index.ts';
import type { SmsGateway } from '../notify/index.ts';
import type { MobileCitizens } from '../notify/mobile-citizens/index.ts';
import type { SignatureVerifier } from './auth/verify-signature.ts';
import type { ResolvedPortalOptions } from './options.ts';
import type { SessionTimes } from './session/sessions.ts';

export interface PortalDeps {
  readonly ctx: ServerContext;
  readonly ra: Ra;
  readonly status: StatusService;
  /** The one SMS interface (notify/), also used by the expiry reminders. */
  readonly sms: SmsGateway;
  readonly mobileCitizens: MobileCitizens;
  readonly verifier: SignatureVerifier;
  readonly options: ResolvedPortalOptions;
  /** scheme://host[:port] of the portal, from the configured public URL: the only Origin accepted on POST. */
  readonly origin: string;
}

export function sessionTimes(deps: PortalDeps): SessionTimes {
  return { idleMs: deps.options.idleMs, absoluteMs: deps.options.absoluteMs, anonymousMs: deps.options.anonymousMs };
}
