/**
 * Every transport failure is a QtError whose details say whether retrying can ever help. The outbox (built
 * later on the store) switches on `permanent`: a permanent failure goes to the dead letters at once, a
 * transient one is retried with backoff. Transports never swallow a failure, and never guess "sent".
 */
import { QtError, type QtErrorCode } from '@qoltanba/pki';

export interface FailureDetails {
  /** true: this message can never be delivered as it is (bad number, rejected content); false: try again later. */
  readonly permanent: boolean;
  /** Which transport said so: 'smpp' | 'http' | 'smtp' | … */
  readonly transport: string;
  /** SMPP command_status of the refusing PDU, when an SMSC answered. */
  readonly commandStatus?: number;
  /** Its name from the SMPP 3.4 table (ESME_RINVDSTADR …), when known. */
  readonly commandStatusName?: string;
  /** HTTP status or SMTP reply code, when a server answered. */
  readonly responseCode?: number;
  readonly [key: string]: unknown;
}

export function deliveryFailure(code: QtErrorCode, message: string, details: FailureDetails, cause?: unknown): QtError {
  return new QtError(code, message, { ...details }, cause === undefined ? undefined : { cause });
}

/** True only for failures a transport has classified as permanent; anything else (even a plain Error) is retryable. */
export function isPermanentFailure(e: unknown): boolean {
  return e instanceof QtError && e.details?.permanent === true;
}
