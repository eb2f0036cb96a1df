/**
 * The one SMS interface of the server: expiry reminders and the portal's one-time codes both go through it,
 * whatever carries them (SMPP to an SMSC, an HTTP gateway, or the development sink).
 */
import type { E164 } from '../phone.ts';

export interface SmsMessage {
  /** Kazakhstan mobile number in any common form; adapters normalise it to E.164 (+77…) or throw QT_ERR_PHONE_INVALID. */
  readonly to: string;
  readonly text: string;
  /** Caller's id for this message (outbox row id); echoed in logs and to HTTP gateways, never shown to the recipient. */
  readonly reference?: string;
  /** Substrings that must never be logged (one-time codes); see mask.ts. */
  readonly secrets?: readonly string[];
  /** Give up delivery after this long (one-time codes are useless an hour late). SMPP validity_period; default: the SMSC's. */
  readonly validForMinutes?: number;
  /**
   * Called once per send, as late as possible: right before the first byte of the message goes to the next hop
   * (for SMPP after the window slot is held and the session is bound). The outbox records there that the send
   * may now reach the SMSC, and returns the reference the SMSC will echo in delivery receipts. If it rejects,
   * nothing is sent and send() rejects with that error.
   */
  readonly beforeSubmit?: (plan: { readonly parts: number; readonly to: E164 }) => Promise<{ readonly userMessageReference?: number }>;
}

export interface SmsSendResult {
  /** One id per submitted part, in part order, as the SMSC/gateway assigned them; receipts refer to these. */
  readonly messageIds: readonly string[];
  readonly parts: number;
  readonly to: E164;
}

/**
 * What evidence a gateway gives about a send whose outcome a crash or a dropped connection hid:
 *  - 'receipt-reference': delivery receipts carry back the reference we chose (SMPP user_message_reference),
 *    so a receipt alone proves that the SMSC accepted that very send;
 *  - 'idempotency-key': the next hop recognises a repeated send by its key (HTTP Idempotency-Key), so sending
 *    again cannot duplicate;
 *  - 'none': nothing; what happens then is notify.uncorrelatedSends.
 */
export type SendCorrelation = 'receipt-reference' | 'idempotency-key' | 'none';

export interface SmsGateway {
  /** Default 'none'. */
  readonly correlation?: SendCorrelation;
  /** Resolves once every part is accepted by the next hop; rejects with a QtError whose details.permanent says whether to retry. */
  send(message: SmsMessage): Promise<SmsSendResult>;
  close(): Promise<void>;
}

/** SMPP 3.4 final (and intermediate) message states as they appear in receipt text ("stat:DELIVRD"). */
export type ReceiptState = 'DELIVRD' | 'EXPIRED' | 'DELETED' | 'UNDELIV' | 'ACCEPTD' | 'UNKNOWN' | 'REJECTD' | 'ENROUTE' | 'SKIPPED';

export interface DeliveryReceipt {
  /** The id the SMSC returned in submit_sm_resp for the part this receipt is about. */
  readonly messageId: string;
  readonly state: ReceiptState;
  /** false only for ENROUTE/ACCEPTD: more receipts may follow. */
  readonly final: boolean;
  /** Network or SMSC error code ("err:" field or network_error_code TLV); "000"/0 when delivered. */
  readonly errorCode?: string;
  readonly doneAt?: Date;
  readonly submittedAt?: Date;
  /** The recipient as the SMSC reported it (digits, no "+"). */
  readonly recipient?: string;
  /** The user_message_reference of the submit this receipt is about, when the SMSC echoes it (SMPP 3.4 §4.6.1). */
  readonly reference?: number;
}

/** Optional ability (smallstep style): gateways that can report delivery implement it as well. */
export interface ReceiptSource {
  /**
   * Registers a listener; returns a function that removes it. The receipt is acknowledged to the SMSC only once
   * every listener's promise has resolved (written down), so a process killed before that gets it again on the
   * next bind; a rejected promise asks the SMSC to send it again later.
   */
  onReceipt(listener: (receipt: DeliveryReceipt) => void | Promise<unknown>): () => void;
}

export function hasReceipts(gateway: SmsGateway): gateway is SmsGateway & ReceiptSource {
  return typeof (gateway as Partial<ReceiptSource>).onReceipt === 'function';
}
