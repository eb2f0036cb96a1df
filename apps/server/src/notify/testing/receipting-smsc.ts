/**
 * A real SMPP server (node-smpp's) for the notifier's tests, behaving as an operator's SMSC does toward the
 * outbox: it accepts or rejects each submit_sm, counts what it received per destination (the test's
 * ground truth for "exactly once"), and sends a delivery receipt for every accepted message a little later,
 * echoing the submit's user_message_reference as SMPP 3.4 §4.6.1 says (unless told not to).
 * A receipt not acknowledged with a successful deliver_sm_resp — the client died, or answered "not now" — is
 * kept and sent again: at once on the next session that binds, or after a moment on the same one, as SMSCs do
 * with their store-and-forward of receipts.
 * It can be stopped and started again on the same port (an SMSC outage); what it had accepted survives.
 * It can also be slow (answers and receipts seconds late), answer a receipt before the submit_sm_resp, never
 * answer a submit it accepted (the answer lost in a crash), or lose one altogether.
 */
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import smpp from 'smpp';
import { concatInfo, receivedText } from './smsc.ts';

/**
 * What becomes of one submit_sm: 'answer' (accepted and answered, the default), 'silent' (accepted — counted,
 * receipted later — but never answered: the answer lost when the SMSC went down), 'lost' (never accepted: no
 * count, no receipt, no answer).
 */
export type SubmitFate = 'answer' | 'silent' | 'lost';

export interface ReceivedSms {
  readonly destination: string;
  readonly source: string;
  readonly dataCoding: number;
  readonly text: string;
  readonly part: number;
  readonly parts: number;
  readonly reference: number | undefined;
  readonly messageId: string | undefined;
  /** The user_message_reference the client put on the submit. */
  readonly userMessageReference: number | undefined;
}

export interface ReceiptingSmscOptions {
  readonly systemId?: string;
  readonly password?: string;
  /** command_status to answer for a destination (digits), e.g. ESME_RINVDSTADR for a rejected number. */
  readonly statusFor?: (destination: string) => number | undefined;
  /** Delay before the receipt of an accepted message (default 100 ms). */
  readonly receiptDelayMs?: number;
  /** Final state to report for a destination (default DELIVRD). */
  readonly receiptStateFor?: (destination: string) => { stat: string; state: number; err: string } | undefined;
  /** Called after each submit_sm is recorded, with how many have arrived (the crash test kills a client here). */
  readonly onReceived?: (count: number) => void;
  /** Called as the n-th receipt goes out on a session (1-based, re-sends counted) — a crash test kills here too. */
  readonly onReceiptSent?: (count: number) => void;
  /** The fate of the n-th submit_sm (1-based, every part counted); default 'answer'. */
  readonly submitFate?: (n: number, destination: string) => SubmitFate | undefined;
  /** Answer each accepted submit_sm this much later (a throttled SMSC); default at once. */
  readonly responseDelayMs?: number;
  /** Send the receipt first and the submit_sm_resp `responseDelayMs` after it (a fast handset, a slow SMSC). */
  readonly receiptBeforeResponse?: boolean;
  /** false: never send a receipt for this destination (the SMSC lost it, or the network never reports). */
  readonly receiptFor?: (destination: string) => boolean;
  /** Echo user_message_reference in receipts (default true); false is an SMSC that does not. */
  readonly echoReference?: boolean;
}

interface QueuedReceipt {
  readonly fields: Record<string, unknown>;
  sentOn: smpp.Session | undefined;
  sequence: number | undefined;
}

/** How long a receipt answered with an error status waits before it is sent again on the same session. */
const RESEND_AFTER_MS = 200;

/** SMPP time in the SMSC's local zone, UTC+5 like Kazakhstan's: YYMMDDhhmm. */
function smscTime(d: Date): string {
  const local = new Date(d.getTime() + 300 * 60_000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(local.getUTCFullYear() % 100)}${two(local.getUTCMonth() + 1)}${two(local.getUTCDate())}${two(local.getUTCHours())}${two(local.getUTCMinutes())}`;
}

export class ReceiptingSmsc {
  readonly received: ReceivedSms[] = [];
  readonly binds: string[] = [];
  readonly #sessions = new Set<smpp.Session>();
  readonly #queue: QueuedReceipt[] = [];
  readonly #prefix = randomBytes(3).toString('hex');
  #server: smpp.Server | undefined;
  #next = 1;
  #port = 0;
  #submits = 0;
  #receiptsSent = 0;
  /** Receipts decided but not yet queued (their delay is running). */
  #receiptsScheduled = 0;

  private constructor(readonly options: ReceiptingSmscOptions) {}

  static async start(options: ReceiptingSmscOptions & { port?: number } = {}): Promise<ReceiptingSmsc> {
    const smsc = new ReceiptingSmsc(options);
    await smsc.listen(options.port ?? 0);
    return smsc;
  }

  get port(): number {
    return this.#port;
  }

  /** Receipts not yet acknowledged by the client, including those whose delay is still running. */
  get receiptsWaiting(): number {
    return this.#queue.length + this.#receiptsScheduled;
  }

  /** Resolves once every receipt owed so far has been acknowledged (written down by the client). */
  async receiptsAcknowledged(timeoutMs = 120_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.receiptsWaiting > 0) {
      if (Date.now() > end) throw new Error(`${this.receiptsWaiting} receipts still unacknowledged after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Complete messages received per destination (a multi-part SMS counts once, by its first part). */
  countsByDestination(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.received) if (r.part === 1) counts.set(r.destination, (counts.get(r.destination) ?? 0) + 1);
    return counts;
  }

  /** The texts received for a destination, parts joined in order. */
  textsTo(destination: string): string[] {
    const mine = this.received.filter((r) => r.destination === destination);
    const out: string[] = [];
    for (const [i, r] of mine.entries()) {
      if (r.part !== 1) continue;
      out.push(mine.slice(i, i + r.parts).map((p) => p.text).join(''));
    }
    return out;
  }

  async listen(port: number): Promise<void> {
    this.#server = smpp.createServer({}, (session) => this.#onSession(session));
    await new Promise<void>((resolve) => this.#server!.listen(port, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  /** An outage: every session cut and the port closed (receipts stay queued). */
  async stop(): Promise<void> {
    for (const s of this.#sessions) s.destroy();
    this.#sessions.clear();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #onSession(session: smpp.Session): void {
    this.#sessions.add(session);
    session.on('error', () => undefined);
    session.on('close', () => {
      this.#sessions.delete(session);
      // Receipts sent on a dead session and never acknowledged go out again, on another bound session or the next bind.
      for (const q of this.#queue) if (q.sentOn === session) q.sentOn = undefined;
      setTimeout(() => this.#flush(), 10).unref();
    });
    const onBind = (pdu: smpp.PDU) => {
      const ok = pdu.system_id === (this.options.systemId ?? 'qoltanba') && pdu.password === (this.options.password ?? 'secret');
      session.send(pdu.response(ok ? {} : { command_status: smpp.errors.ESME_RINVPASWD as number }));
      if (!ok) return session.close();
      this.binds.push(pdu.command);
      (session as unknown as { bound: boolean }).bound = true;
      setTimeout(() => this.#flush(), 10);
    };
    session.on('bind_transceiver', onBind);
    session.on('bind_transmitter', onBind);
    session.on('enquire_link', (pdu: smpp.PDU) => session.send(pdu.response()));
    session.on('unbind', (pdu: smpp.PDU) => {
      session.send(pdu.response());
      session.close();
    });
    session.on('deliver_sm_resp', (pdu: smpp.PDU) => {
      const i = this.#queue.findIndex((q) => q.sentOn === session && q.sequence === pdu.sequence_number);
      if (i < 0) return;
      if (pdu.command_status === 0) {
        this.#queue.splice(i, 1);
        return;
      }
      // "Not now" (e.g. ESME_RX_T_APPN): keep it and try again shortly.
      const q = this.#queue[i]!;
      q.sentOn = undefined;
      setTimeout(() => this.#flush(), RESEND_AFTER_MS).unref();
    });
    session.on('submit_sm', (pdu: smpp.PDU) => this.#onSubmit(session, pdu));
  }

  #onSubmit(session: smpp.Session, pdu: smpp.PDU): void {
    const destination = String(pdu.destination_addr);
    const fate = this.options.submitFate?.(++this.#submits, destination) ?? 'answer';
    if (fate === 'lost') return;
    const concat = concatInfo(pdu);
    const status = this.options.statusFor?.(destination) ?? 0;
    const messageId = status === 0 ? `${this.#prefix}-${this.#next++}` : undefined;
    const userMessageReference = typeof pdu.user_message_reference === 'number' ? pdu.user_message_reference : undefined;
    this.received.push({
      destination,
      source: String(pdu.source_addr),
      dataCoding: Number(pdu.data_coding),
      text: receivedText(pdu),
      part: concat?.sequence ?? 1,
      parts: concat?.total ?? 1,
      reference: concat?.reference,
      messageId,
      userMessageReference,
    });
    this.options.onReceived?.(this.received.length);
    const answer = (fields: Record<string, unknown>) => {
      if (fate === 'silent') return;
      const delay = this.options.responseDelayMs ?? 0;
      if (delay > 0) setTimeout(() => session.send(pdu.response(fields)), delay).unref();
      else session.send(pdu.response(fields));
    };
    if (status !== 0) {
      answer({ command_status: status });
      return;
    }
    const submitted = new Date();
    if (!this.options.receiptBeforeResponse) answer({ message_id: messageId });
    if (this.options.receiptFor?.(destination) === false) {
      if (this.options.receiptBeforeResponse) answer({ message_id: messageId });
      return;
    }
    const final = this.options.receiptStateFor?.(destination) ?? { stat: 'DELIVRD', state: 2, err: '000' };
    const queue = () => {
      this.#queue.push({
        fields: {
          source_addr: destination,
          destination_addr: String(pdu.source_addr),
          esm_class: 0x04,
          receipted_message_id: messageId,
          message_state: final.state,
          ...(userMessageReference !== undefined && (this.options.echoReference ?? true) && { user_message_reference: userMessageReference }),
          short_message: `id:${messageId} sub:001 dlvrd:${final.stat === 'DELIVRD' ? '001' : '000'} submit date:${smscTime(submitted)} done date:${smscTime(new Date())} stat:${final.stat} err:${final.err} text:`,
        },
        sentOn: undefined,
        sequence: undefined,
      });
      this.#flush();
    };
    if (this.options.receiptBeforeResponse) {
      queue();
      answer({ message_id: messageId });
      return;
    }
    this.#receiptsScheduled++;
    setTimeout(() => {
      this.#receiptsScheduled--;
      queue();
    }, this.options.receiptDelayMs ?? 100).unref();
  }

  #flush(): void {
    const session = [...this.#sessions].find((s) => (s as unknown as { bound?: boolean }).bound);
    if (!session) return;
    for (const q of this.#queue) {
      if (q.sentOn) continue;
      const pdu = new smpp.PDU('deliver_sm', q.fields);
      if (!session.send(pdu)) return;
      q.sentOn = session;
      q.sequence = pdu.sequence_number;
      this.options.onReceiptSent?.(++this.#receiptsSent);
    }
  }

  async close(): Promise<void> {
    await this.stop();
  }
}
