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
}

export interface SmsSendResult {
  /** One id per submitted part, in part order, as the SMSC/gateway assigned them; receipts refer to these. */
  readonly messageIds: readonly string[];
  readonly parts: number;
  readonly to: E164;
}

export interface SmsGateway {
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
}

/** Optional ability (smallstep style): gateways that can report delivery implement it as well. */
export interface ReceiptSource {
  /** Registers a listener; returns a function that removes it. */
  onReceipt(listener: (receipt: DeliveryReceipt) => void): () => void;
}

export function hasReceipts(gateway: SmsGateway): gateway is SmsGateway & ReceiptSource {
  return typeof (gateway as Partial<ReceiptSource>).onReceipt === 'function';
}
