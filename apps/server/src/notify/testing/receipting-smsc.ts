/**
 * A real SMPP server (node-smpp's) for the notifier's tests, behaving as an operator's SMSC does toward the
 * outbox: it accepts or rejects each submit_sm, counts what it received per destination (the test's
 * ground truth for "exactly once"), and sends a delivery receipt for every accepted message a little later.
 * A receipt not acknowledged with deliver_sm_resp — because the client died — is kept and sent again to the
 * next session that binds, as SMSCs do with their store-and-forward of receipts.
 * It can be stopped and started again on the same port (an SMSC outage).
 */
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import smpp from 'smpp';
import { concatInfo, receivedText } from '../sms/smpp/test-smsc.ts';

export interface ReceivedSms {
  readonly destination: string;
  readonly source: string;
  readonly dataCoding: number;
  readonly text: string;
  readonly part: number;
  readonly parts: number;
  readonly reference: number | undefined;
  readonly messageId: string | undefined;
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
}

interface QueuedReceipt {
  readonly fields: Record<string, unknown>;
  sentOn: smpp.Session | undefined;
  sequence: number | undefined;
}

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

  private constructor(readonly options: ReceiptingSmscOptions) {}

  static async start(options: ReceiptingSmscOptions & { port?: number } = {}): Promise<ReceiptingSmsc> {
    const smsc = new ReceiptingSmsc(options);
    await smsc.listen(options.port ?? 0);
    return smsc;
  }

  get port(): number {
    return this.#port;
  }

  get receiptsWaiting(): number {
    return this.#queue.length;
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
      // Receipts sent on a dead session and never acknowledged go out again on the next bind.
      for (const q of this.#queue) if (q.sentOn === session) q.sentOn = undefined;
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
      if (i >= 0) this.#queue.splice(i, 1);
    });
    session.on('submit_sm', (pdu: smpp.PDU) => this.#onSubmit(session, pdu));
  }

  #onSubmit(session: smpp.Session, pdu: smpp.PDU): void {
    const destination = String(pdu.destination_addr);
    const concat = concatInfo(pdu);
    const status = this.options.statusFor?.(destination) ?? 0;
    const messageId = status === 0 ? `${this.#prefix}-${this.#next++}` : undefined;
    this.received.push({
      destination,
      source: String(pdu.source_addr),
      dataCoding: Number(pdu.data_coding),
      text: receivedText(pdu),
      part: concat?.sequence ?? 1,
      parts: concat?.total ?? 1,
      reference: concat?.reference,
      messageId,
    });
    this.options.onReceived?.(this.received.length);
    if (status !== 0) {
      session.send(pdu.response({ command_status: status }));
      return;
    }
    const submitted = new Date();
    session.send(pdu.response({ message_id: messageId }));
    const final = this.options.receiptStateFor?.(destination) ?? { stat: 'DELIVRD', state: 2, err: '000' };
    setTimeout(() => {
      this.#queue.push({
        fields: {
          source_addr: destination,
          destination_addr: String(pdu.source_addr),
          esm_class: 0x04,
          receipted_message_id: messageId,
          message_state: final.state,
          short_message: `id:${messageId} sub:001 dlvrd:${final.stat === 'DELIVRD' ? '001' : '000'} submit date:${smscTime(submitted)} done date:${smscTime(new Date())} stat:${final.stat} err:${final.err} text:`,
        },
        sentOn: undefined,
        sequence: undefined,
      });
      this.#flush();
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
    }
  }

  async close(): Promise<void> {
    await this.stop();
  }
}
