/**
 * Kysely types of the notifier's tables (migration 0007_notify_reminders.sql, which holds the constraints
 * and the reasons). store/schema.ts's Database extends this, so the store stays the one typed view of SQL.
 */
import type { ColumnType, Generated } from 'kysely';
import type { SendCorrelation } from './sms/gateway.ts';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type GeneratedInt8 = ColumnType<string, never, never>;
type Int8 = ColumnType<string, string | number | bigint, string | number | bigint>;

export type NotifyChannel = 'sms' | 'email';
/** The languages a person may choose for notices (notify_preferences); without a choice they get both. */
export const NOTIFY_LANGUAGES = ['kk', 'ru', 'kk+ru'] as const;
export type NotifyLanguage = (typeof NOTIFY_LANGUAGES)[number];
export const DEFAULT_NOTIFY_LANGUAGE: NotifyLanguage = 'kk+ru';
export type MessageState = 'pending' | 'sending' | 'unknown' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'skipped';
export const MESSAGE_STATES: readonly MessageState[] = ['pending', 'sending', 'unknown', 'sent', 'delivered', 'undelivered', 'failed', 'skipped'];
/**
 * How a send whose outcome was hidden (crash, dropped connection) was decided, when it was:
 *  'receipt'          a delivery receipt carrying our reference proved the SMSC accepted it;
 *  'resent-same-key'  sent again under the same idempotency key (the gateway cannot duplicate it);
 *  'resent'           no evidence was possible and notify.uncorrelatedSends is at-least-once: sent again,
 *                     so the person may have it twice;
 *  'operator-resent' / 'operator-sent'  an operator decided (`notify retry`, `notify retry --as-sent`);
 *  'retried'          before evidence-based settling (the old receipt grace period).
 */
export type UncertainResolution = 'receipt' | 'resent-same-key' | 'resent' | 'operator-resent' | 'operator-sent' | 'retried';

export interface MobileCitizensTable {
  iin: string;
  phone: string;
  verified: boolean;
  /** date: `pg` reads it as a Date at local midnight; written as 'YYYY-MM-DD'. */
  verified_on: ColumnType<Date | null, string | null | undefined, string | null>;
  source: string;
  import_id: string;
  updated_at: DefaultedTimestamp;
}

export interface NotifyPreferencesTable {
  iin: string;
  language: NotifyLanguage;
  updated_at: DefaultedTimestamp;
}

export interface NotifyScanCursorsTable {
  channel: NotifyChannel;
  threshold_days: number;
  window_end: Timestamp;
  scanned_to: Timestamp;
  scanned_to_id: Int8;
  updated_at: DefaultedTimestamp;
}

export interface NotifyScanWatermarksTable {
  channel: NotifyChannel;
  recent_certificate_id: Int8;
  recent_change_id: Int8;
  day_certificate_id: Int8;
  day_change_id: Int8;
  /** date: written as 'YYYY-MM-DD'. */
  day: ColumnType<Date, string, string>;
  updated_at: DefaultedTimestamp;
}

export interface NotifyMessagesTable {
  id: GeneratedInt8;
  channel: NotifyChannel;
  iin: string;
  threshold_days: number;
  group_key: string;
  expires_at: Timestamp;
  state: ColumnType<MessageState, MessageState | undefined, MessageState>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Timestamp;
  claimed_at: Timestamp | null;
  lease_until: Timestamp | null;
  destination_masked: string | null;
  destination_hash: ColumnType<Buffer | null, Buffer | null | undefined, Buffer | null>;
  language: NotifyLanguage | null;
  provider_ids: string[] | null;
  sent_at: Timestamp | null;
  uncertain_resolution: UncertainResolution | null;
  submit_reference: number | null;
  parts: number | null;
  correlation: SendCorrelation | null;
  /** The certificates this message reminds about (one, or a person's AUTH + SIGN of one day). */
  certificate_ids: string[] | null;
  last_error_code: string | null;
  last_error: string | null;
  receipt_state: string | null;
  receipt_error: string | null;
  receipt_at: Timestamp | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface NotifyReceiptsTable {
  id: Generated<string>;
  provider_id: string;
  message_id: Int8 | null;
  state: string;
  final: boolean;
  error_code: string | null;
  recipient_hash: Buffer | null;
  submitted_at: Timestamp | null;
  done_at: Timestamp | null;
  received_at: DefaultedTimestamp;
  reference: number | null;
  attempt: number | null;
}

export interface NotifyTables {
  mobile_registry: MobileCitizensTable;
  notify_preferences: NotifyPreferencesTable;
  notify_scan_cursors: NotifyScanCursorsTable;
  notify_scan_watermarks: NotifyScanWatermarksTable;
  notify_messages: NotifyMessagesTable;
  notify_receipts: NotifyReceiptsTable;
}
