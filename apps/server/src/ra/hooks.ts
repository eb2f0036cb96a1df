/**
 * What the RA tells the status service once a change has committed: a new certificate (pre-sign its OCSP
 * response) or a new status (re-sign the response at once, and ask for a delta CRL soon). The RA depends
 * on this small interface rather than on the status service, so either can run without the other (a
 * CLI issuing offline, an RA node whose status nodes run elsewhere and catch up through their refresher).
 */
import type { Logger } from '../context.ts';

export interface StatusHooks {
  afterIssue(caId: number, serial: string): Promise<void>;
  afterStatusChange(caId: number, serial: string): Promise<void>;
}

/** The part of the status service (status/service.ts) the hooks need. */
export interface StatusServiceLike {
  presignIssued(caId: number, serial: string): Promise<void>;
  presignNow(caId: number, serial: string): Promise<void>;
  crlAfterRevocation(caId: number): Promise<void>;
}

export function statusHooksFor(status: StatusServiceLike): StatusHooks {
  return {
    afterIssue: (caId, serial) => status.presignIssued(caId, serial),
    async afterStatusChange(caId, serial) {
      // OCSP first: it is what relying parties ask in the moment; the delta CRL is debounced anyway.
      await status.presignNow(caId, serial);
      await status.crlAfterRevocation(caId);
    },
  };
}

/** For processes without a status service: the OCSP refresher and the next scheduled CRL catch up. */
export const noStatusHooks: StatusHooks = {
  afterIssue: async () => undefined,
  afterStatusChange: async () => undefined,
};

/**
 * Runs a hook after the commit. Its failure is logged, not returned: the change is already durable, and
 * the status service never serves a pre-signed response that disagrees with the certificate row, so a
 * missed hook costs a live signature later, never a wrong answer.
 */
export async function afterCommit(log: Logger, what: string, hook: () => Promise<void>): Promise<void> {
  try {
    await hook();
  } catch (err) {
    log.warn({ err }, `${what} failed after commit; the status service will catch up`);
  }
}
