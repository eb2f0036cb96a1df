/**
 * SMS over SMPP 3.4 to any SMSC (node-smpp underneath).
 *
 * Bind mode: receipts come back as deliver_sm, which an SMSC sends only to a receiver or transceiver bind. So
 * with receipts on (the default) we bind as transceiver — one TCP session carrying submits and receipts; with
 * receipts off, as transmitter. SMSCs that insist on separate transmitter/receiver binds are not covered yet.
 *
 * Text: GSM-7 (data_coding 0) when every character allows it, else UCS-2 (data_coding 8) — always for kk/ru.
 * Long texts go as concatenated parts, each with an 8-bit-reference UDH and esm_class 0x40 (UDHI).
 *
 * Correlation: every part of a send carries the user_message_reference the caller's beforeSubmit chose, and an
 * SMSC that follows SMPP 3.4 §4.6.1 echoes it in the delivery receipt — so a receipt identifies the send even
 * when its submit_sm_resp (and with it the SMSC's message_id) was never seen. Receipts are acknowledged only
 * after the listeners have written them down (see connection.ts).
 */
import smpp from 'smpp';
import { QtError } from '@qoltanba/pki';
import { deliveryFailure, isPermanentFailure } from '../../failure.ts';
import { silentLog, type NotifyLog } from '../../log.ts';
import { maskPhone, normalizeKzPhone } from '../../phone.ts';
import type { DeliveryReceipt, ReceiptSource, SendCorrelation, SmsGateway, SmsMessage, SmsSendResult } from '../gateway.ts';
import { concatenationUdh, planSms } from '../segments.ts';
import { isSlowDownStatus, needsRebind, submitFailure } from './command-status.ts';
import { SmppConnection, type BindMode } from './connection.ts';
import { Pacer, SubmitWindow } from './flow-control.ts';
import { parseDeliveryReceipt } from './receipt.ts';

export interface SmppConfig {
  readonly type: 'smpp';
  readonly host: string;
  /** Default 2775 (3550 with tls). */
  readonly port?: number;
  readonly tls?: boolean;
  readonly systemId: string;
  readonly password: string;
  readonly systemType?: string;
  /** Sender shown on the phone: alphanumeric (≤ 11 chars, e.g. "Qoltanba"), a short code, or an international number. */
  readonly source: string;
  /** Override the TON/NPI derived from `source` when the SMSC wants something else. */
  readonly sourceTon?: number;
  readonly sourceNpi?: number;
  readonly serviceType?: string;
  /** Ask for delivery receipts (registered_delivery 1) and bind as transceiver to receive them. Default true. */
  readonly receipts?: boolean;
  /**
   * The SMSC returns our user_message_reference in delivery receipts (SMPP 3.4 §4.6.1). Default: true when
   * receipts are on. Set false for an SMSC that does not: sends whose outcome a crash hid then fall under
   * notify.uncorrelatedSends instead of waiting for a receipt that cannot name them.
   */
  readonly receiptReference?: boolean;
  /** Override the bind mode chosen from `receipts`. */
  readonly bindMode?: BindMode;
  /** Max unacknowledged submit_sm on the session. Default 10. */
  readonly window?: number;
  /** Max submit_sm per second (each part counts). Default: unlimited. */
  readonly maxPerSecond?: number;
  /** Refuse texts longer than this many parts. Default 10. */
  readonly maxParts?: number;
  /** How long a send waits for a (re)bind before failing as transient. Default 10 000. */
  readonly bindWaitMs?: number;
  readonly responseTimeoutMs?: number;
  readonly enquireLinkMs?: number;
  readonly reconnect?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Pause after ESME_RTHROTTLED / ESME_RMSGQFUL before the next submit. Default 1000. */
  readonly slowDownMs?: number;
  /** Time zone of the dates in receipt text, minutes east of UTC. Default 300 (Kazakhstan). */
  readonly smscUtcOffsetMinutes?: number;
}

/** TON/NPI for the sender (SMPP 3.4 §5.2.5/5.2.6): alphanumeric 5/0, international 1/1, short code 3/0. */
export function sourceAddressing(source: string): { ton: number; npi: number; addr: string } {
  if (/^\+?\d{10,15}$/.test(source)) return { ton: 1, npi: 1, addr: source.replace(/^\+/, '') };
  if (/^\d{1,9}$/.test(source)) return { ton: 3, npi: 0, addr: source };
  if (/^[\x20-\x7e]{1,11}$/.test(source)) return { ton: 5, npi: 0, addr: source };
  throw new QtError('QT_ERR_NOTIFY_CONFIG', 'The SMS sender must be up to 11 Latin characters, a short code or an international number', {
    source,
  });
}

/** SMPP relative validity "YYMMDDhhmmss000R" from minutes. */
function relativeValidity(minutes: number): string {
  const total = Math.max(1, Math.round(minutes));
  const days = Math.min(99, Math.floor(total / 1440));
  const hours = Math.floor((total % 1440) / 60);
  const mins = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return `0000${two(days)}${two(hours)}${two(mins)}00000R`;
}

const ESME_RX_T_APPN = 0x64;

export class SmppSmsGateway implements SmsGateway, ReceiptSource {
  readonly connection: SmppConnection;
  readonly correlation: SendCorrelation;
  readonly window: SubmitWindow;
  readonly #pacer: Pacer;
  readonly #config: SmppConfig;
  readonly #source: { ton: number; npi: number; addr: string };
  readonly #receiptListeners = new Set<(r: DeliveryReceipt) => void | Promise<unknown>>();
  readonly #log: NotifyLog;
  // Handsets group parts by (sender, reference): start anywhere so two server nodes rarely collide.
  #reference = Math.floor(Math.random() * 256);

  constructor(config: SmppConfig, log: NotifyLog = silentLog) {
    this.#config = config;
    this.#log = log;
    const s = sourceAddressing(config.source);
    this.#source = { ton: config.sourceTon ?? s.ton, npi: config.sourceNpi ?? s.npi, addr: s.addr };
    const receipts = config.receipts ?? true;
    this.correlation = receipts && (config.receiptReference ?? true) ? 'receipt-reference' : 'none';
    this.window = new SubmitWindow(config.window ?? 10);
    this.#pacer = new Pacer(config.maxPerSecond);
    this.connection = new SmppConnection({
      host: config.host,
      port: config.port ?? (config.tls ? 3550 : 2775),
      tls: config.tls ?? false,
      systemId: config.systemId,
      password: config.password,
      bindMode: config.bindMode ?? (receipts ? 'transceiver' : 'transmitter'),
      log,
      ...(config.systemType !== undefined && { systemType: config.systemType }),
      ...(config.enquireLinkMs !== undefined && { enquireLinkMs: config.enquireLinkMs }),
      ...(config.responseTimeoutMs !== undefined && { responseTimeoutMs: config.responseTimeoutMs }),
      ...(config.reconnect !== undefined && { reconnect: config.reconnect }),
    });
    this.connection.on('deliver_sm', (pdu, ack) => this.#onDeliverSm(pdu, ack));
    this.connection.start();
  }

  /** Resolves once bound; rejects with QT_ERR_SMS_BIND_FAILED when the SMSC refuses the login. */
  ready(timeoutMs = this.#config.bindWaitMs ?? 10_000): Promise<void> {
    return this.connection.whenBound(timeoutMs);
  }

  onReceipt(listener: (receipt: DeliveryReceipt) => void | Promise<unknown>): () => void {
    this.#receiptListeners.add(listener);
    return () => this.#receiptListeners.delete(listener);
  }

  async send(message: SmsMessage): Promise<SmsSendResult> {
    const deadline = Date.now() + (this.#config.bindWaitMs ?? 10_000);
    const to = normalizeKzPhone(message.to);
    const plan = planSms(message.text, this.#config.maxParts ?? 10);
    const total = plan.parts.length;
    const reference = (this.#reference = (this.#reference + 1) & 0xff);
    const common = {
      service_type: this.#config.serviceType ?? '',
      source_addr_ton: this.#source.ton,
      source_addr_npi: this.#source.npi,
      source_addr: this.#source.addr,
      dest_addr_ton: 1, // international
      dest_addr_npi: 1, // E.164
      destination_addr: to.slice(1),
      registered_delivery: (this.#config.receipts ?? true) ? 0x01 : 0x00,
      data_coding: plan.dataCoding,
      ...(message.validForMinutes !== undefined && { validity_period: relativeValidity(message.validForMinutes) }),
    };
    // The caller's beforeSubmit runs once, when the first part holds a window slot on a bound session: from
    // then on the send may reach the SMSC. Every part waits for it, so none goes out if it fails.
    let before: Promise<{ readonly userMessageReference?: number }> | undefined;
    const beforeSubmit = () => (before ??= message.beforeSubmit ? message.beforeSubmit({ parts: total, to }) : Promise.resolve({}));
    // All parts are started at once; the window hands out slots in order, so parts go out in order, pipelined.
    const outcomes = await Promise.allSettled(
      plan.parts.map((part, i) =>
        this.#submit(
          total === 1
            ? { ...common, esm_class: 0x00, short_message: part }
            : { ...common, esm_class: 0x40, short_message: Buffer.concat([concatenationUdh(reference, total, i + 1), part]) },
          deadline,
          beforeSubmit,
        ),
      ),
    );
    if (before && outcomes.every((o) => o.status === 'rejected')) {
      // beforeSubmit itself failed: nothing was sent; its error is the one to report, as it is.
      const own = await before.then(() => undefined, (e: unknown) => e);
      if (own !== undefined) throw own;
    }
    const messageIds = outcomes.map((o) => (o.status === 'fulfilled' ? o.value : undefined));
    const failures = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [{ part: i + 1, error: o.reason as unknown }] : []));
    const logFields = { to: maskPhone(to), reference: message.reference, parts: total };
    if (failures.length === 0) {
      this.#log.info({ ...logFields, messageIds: messageIds.join(',') }, 'sms submitted');
      return { messageIds: messageIds as string[], parts: total, to };
    }
    const worst = failures.find((f) => isPermanentFailure(f.error)) ?? failures[0]!;
    this.#log.warn({ ...logFields, failedParts: failures.length, error: (worst.error as Error).message }, 'sms not submitted');
    if (total === 1) throw worst.error;
    const cause = worst.error instanceof QtError ? worst.error : undefined;
    throw deliveryFailure(
      isPermanentFailure(worst.error) ? 'QT_ERR_SMS_REJECTED' : 'QT_ERR_SMS_UNAVAILABLE',
      `${failures.length} of ${total} SMS parts were not accepted: ${(worst.error as Error).message}`,
      {
        ...(cause?.details ?? { transport: 'smpp' }),
        permanent: isPermanentFailure(worst.error),
        transport: 'smpp',
        failedParts: failures.map((f) => f.part),
        // Parts already accepted will be delivered; a retry sends the whole text again under a new reference.
        acceptedMessageIds: messageIds.filter((id): id is string => id !== undefined),
        // Any part that was on the wire unanswered makes the whole send's outcome unknown.
        maybeAccepted: failures.some((f) => f.error instanceof QtError && f.error.details?.maybeAccepted === true),
      },
      worst.error,
    );
  }

  async #submit(fields: Record<string, unknown>, deadline: number, beforeSubmit: () => Promise<{ readonly userMessageReference?: number }>): Promise<string> {
    const release = await this.window.acquire();
    try {
      await this.connection.whenBound(deadline - Date.now());
      await this.#pacer.take();
      const { userMessageReference } = await beforeSubmit();
      const resp = await this.connection.request('submit_sm', userMessageReference === undefined ? fields : { ...fields, user_message_reference: userMessageReference });
      const status = resp.command_status;
      if (status === 0) return String(resp.message_id ?? '');
      if (isSlowDownStatus(status)) this.#pacer.pause(this.#config.slowDownMs ?? 1000);
      if (needsRebind(status)) this.connection.drop('the SMSC answered ESME_RINVBNDSTS');
      throw submitFailure(status);
    } finally {
      release();
    }
  }

  #onDeliverSm(pdu: smpp.PDU, ack: (commandStatus?: number) => void): void {
    const receipt = parseDeliveryReceipt(pdu, { smscUtcOffsetMinutes: this.#config.smscUtcOffsetMinutes ?? 300 });
    if (!receipt) {
      // Mobile-originated SMS to our sender: the service takes no SMS input, so it is acknowledged and dropped.
      this.#log.info({ from: maskPhone(String(pdu.source_addr ?? '')) }, 'smpp: ignored a deliver_sm that is not a receipt');
      ack();
      return;
    }
    const written = [...this.#receiptListeners].map(async (listener) => listener(receipt));
    Promise.all(written).then(
      () => ack(),
      (e: unknown) => {
        // ESME_RX_T_APPN: "temporary application error" — the SMSC keeps the receipt and sends it again later.
        this.#log.error({ messageId: receipt.messageId, error: (e as Error).message }, 'sms receipt not recorded; the SMSC will send it again');
        ack(ESME_RX_T_APPN);
      },
    );
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
