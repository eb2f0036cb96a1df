/**
 * Delivery receipts arrive as deliver_sm with esm_class message type 0x04 ("SMSC delivery receipt"). SMPP 3.4
 * Appendix B puts the facts in the text ("id:… sub:… dlvrd:… submit date:YYMMDDhhmm done date:YYMMDDhhmm
 * stat:DELIVRD err:000 text:…"); many SMSCs also send the receipted_message_id and message_state TLVs, which
 * are unambiguous and win when present. Anything else in deliver_sm (an SMS sent to our sender) is not a receipt.
 */
import type { DeliveryReceipt, ReceiptState } from '../gateway.ts';

const stateByTlv: Readonly<Record<number, ReceiptState>> = {
  1: 'ENROUTE', 2: 'DELIVRD', 3: 'EXPIRED', 4: 'DELETED', 5: 'UNDELIV', 6: 'ACCEPTD', 7: 'UNKNOWN', 8: 'REJECTD', 9: 'SKIPPED',
};
const textStates = new Set<string>(Object.values(stateByTlv));
const notFinal = new Set<ReceiptState>(['ENROUTE', 'ACCEPTD']);

const ESM_MESSAGE_TYPE_MASK = 0x3c;
const ESM_SMSC_DELIVERY_RECEIPT = 0x04;

/** The deliver_sm fields the parser reads, as node-smpp decodes them. */
export interface DeliverSmLike {
  esm_class?: unknown;
  source_addr?: unknown;
  short_message?: unknown;
  receipted_message_id?: unknown;
  message_state?: unknown;
  network_error_code?: unknown;
  user_message_reference?: unknown;
  [field: string]: unknown;
}

export interface ReceiptParseOptions {
  /** The SMSC writes receipt dates in its local time without a zone; Kazakhstan is UTC+5 (300) since 2024-03-01. */
  readonly smscUtcOffsetMinutes?: number;
}

function receiptText(shortMessage: unknown): string {
  if (typeof shortMessage === 'string') return shortMessage;
  if (Buffer.isBuffer(shortMessage)) return shortMessage.toString('latin1');
  const message = (shortMessage as { message?: unknown } | null)?.message;
  if (typeof message === 'string') return message;
  if (Buffer.isBuffer(message)) return message.toString('latin1');
  return '';
}

function field(text: string, name: string): string | undefined {
  return new RegExp(`(?:^|\\s)${name}:(\\S+)`, 'i').exec(text)?.[1];
}

/** "YYMMDDhhmm" or "YYMMDDhhmmss" in SMSC local time. */
function receiptDate(value: string | undefined, offsetMinutes: number): Date | undefined {
  const m = value && /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?$/.exec(value);
  if (!m) return undefined;
  const [yy, mo, dd, hh, mi, ss] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  const utc = Date.UTC(2000 + yy, mo - 1, dd, hh, mi, ss) - offsetMinutes * 60_000;
  return Number.isFinite(utc) ? new Date(utc) : undefined;
}

export function isDeliveryReceipt(pdu: DeliverSmLike): boolean {
  return typeof pdu.esm_class === 'number' && (pdu.esm_class & ESM_MESSAGE_TYPE_MASK) === ESM_SMSC_DELIVERY_RECEIPT;
}

/** The receipt in a deliver_sm, or undefined when it is not a receipt or names no message. */
export function parseDeliveryReceipt(pdu: DeliverSmLike, options: ReceiptParseOptions = {}): DeliveryReceipt | undefined {
  if (!isDeliveryReceipt(pdu)) return undefined;
  const offset = options.smscUtcOffsetMinutes ?? 300;
  const text = receiptText(pdu.short_message);
  const tlvId = typeof pdu.receipted_message_id === 'string' && pdu.receipted_message_id ? pdu.receipted_message_id : undefined;
  const messageId = tlvId ?? field(text, 'id');
  if (!messageId) return undefined;

  const textState = field(text, 'stat')?.toUpperCase();
  const state: ReceiptState =
    (typeof pdu.message_state === 'number' ? stateByTlv[pdu.message_state] : undefined) ??
    (textState && textStates.has(textState) ? (textState as ReceiptState) : 'UNKNOWN');

  let errorCode = field(text, 'err');
  if (errorCode === undefined && Buffer.isBuffer(pdu.network_error_code) && pdu.network_error_code.length >= 3) {
    // network_error_code TLV: 1 octet network type (GSM = 3), 2 octets error code.
    errorCode = String(pdu.network_error_code.readUInt16BE(1));
  }

  const receipt: DeliveryReceipt = {
    messageId,
    state,
    final: !notFinal.has(state),
    ...(errorCode !== undefined && { errorCode }),
    ...(typeof pdu.source_addr === 'string' && pdu.source_addr && { recipient: pdu.source_addr }),
    // SMPP 3.4 §4.6.1: in a receipt, user_message_reference is "set to the message reference of the original message".
    ...(typeof pdu.user_message_reference === 'number' && { reference: pdu.user_message_reference }),
  };
  const doneAt = receiptDate(/done date:(\d+)/i.exec(text)?.[1], offset);
  const submittedAt = receiptDate(/submit date:(\d+)/i.exec(text)?.[1], offset);
  return { ...receipt, ...(doneAt && { doneAt }), ...(submittedAt && { submittedAt }) };
}
