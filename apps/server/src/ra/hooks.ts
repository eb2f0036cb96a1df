/**
 * What the RA tells the status service once a change has committed: a new certificate (pre-sign its OCSP
 * response) or a new status (re-sign the response at once, and ask for a delta CRL soon). The RA depends
 * on this small interface rather than on the status service, so either can run without the other (a
 * CLI issuing offline, an RA node whose status nodes run elsewhere and catch up through their refresher).
 */
import type { RawBuilder } from 'kysely';
import type { Logger } from '../context.ts';

export interface StatusHooks {
  afterIssue(caId: number, serial: string): Promise<void>;
  afterStatusChange(caId: number, serial: string): Promise<void>;
  /**
   * Optional: a new certificate's OCSP response signed before its commit and stored by the statement that stores
   * the certificate (ra/batch.ts), instead of afterIssue's statements and transaction after the commit.
   */
  fresh?: FreshOcspHooks;
}

/** A signed response the status service can store; the RA only carries it. */
export interface FreshOcsp {
  caId: number;
  serial: string;
}

export interface FreshOcspHooks {
  /** Undefined when it cannot be signed without a database read now: then afterIssue, after the commit. */
  sign(caId: number, serial: string): Promise<FreshOcsp | undefined>;
  /** SQL inserting the responses of the certificates the caller's CTE `cte` (columns ca_id, serial) stored. */
  storeFrom(cte: string, responses: readonly FreshOcsp[]): RawBuilder<unknown>;
}

/** The part of the status service (status/service.ts) the hooks need. */
export interface StatusServiceLike {
  presignIssued(caId: number, serial: string): Promise<void>;
  presignNow(caId: number, serial: string): Promise<void>;
  crlAfterRevocation(caId: number): Promise<void>;
  // Method syntax: the service's own response type (a FreshOcsp with the signature) is accepted here.
  signFresh?(caId: number, serial: string): Promise<FreshOcsp | undefined>;
  storeFreshFrom?(cte: string, responses: readonly FreshOcsp[]): RawBuilder<unknown>;
}

export function statusHooksFor(status: StatusServiceLike): StatusHooks {
  return {
    afterIssue: (caId, serial) => status.presignIssued(caId, serial),
    async afterStatusChange(caId, serial) {
      // OCSP first: it is what relying parties ask in the moment; the delta CRL is debounced anyway.
      await status.presignNow(caId, serial);
      await status.crlAfterRevocation(caId);
    },
    ...(status.signFresh && status.storeFreshFrom
      ? { fresh: { sign: (caId: number, serial: string) => status.signFresh!(caId, serial), storeFrom: (cte: string, r: readonly FreshOcsp[]) => status.storeFreshFrom!(cte, r) } }
      : {}),
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
