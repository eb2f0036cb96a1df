/**
 * A real SMPP server (node-smpp's) for tests: it checks the login, answers submit_sm the way a test tells it
 * to, and records what actually arrived on the wire (PDU fields, the most submits ever outstanding at once).
 * Not a mock of the adapter — the adapter talks TCP to it exactly as to an operator's SMSC.
 */
import type { AddressInfo } from 'node:net';
import smpp from 'smpp';

export interface SubmitDecision {
  /** command_status of submit_sm_resp; default 0 (ESME_ROK). */
  readonly status?: number;
  /** Answer after this many ms (to hold a window open). */
  readonly delayMs?: number;
  /** Destroy the TCP connection instead of answering (an SMSC crash mid-batch). */
  readonly drop?: boolean;
  /** Never answer (a hung SMSC). */
  readonly hold?: boolean;
}

export interface TestSmscOptions {
  readonly systemId?: string;
  readonly password?: string;
  readonly onSubmit?: (pdu: smpp.PDU, index: number, session: smpp.Session) => SubmitDecision | void;
}

export interface BindRecord {
  readonly command: string;
  readonly systemId: string;
  readonly password: string;
  readonly systemType: string;
  readonly interfaceVersion: number;
}

export class TestSmsc {
  readonly server: smpp.Server;
  readonly binds: BindRecord[] = [];
  readonly submits: smpp.PDU[] = [];
  readonly enquireLinks: number[] = [];
  readonly issuedIds = new Set<string>();
  readonly sessions = new Set<smpp.Session>();
  outstanding = 0;
  unbindResponses = 0;
  maxOutstanding = 0;
  #nextId = 1;
  #deliverWaiters = new Map<number, (pdu: smpp.PDU) => void>();

  constructor(readonly options: TestSmscOptions = {}) {
    this.server = smpp.createServer({}, (session) => this.#onSession(session));
  }

  static async start(options: TestSmscOptions = {}): Promise<TestSmsc> {
    const smsc = new TestSmsc(options);
    await new Promise<void>((resolve) => smsc.server.listen(0, '127.0.0.1', resolve));
    return smsc;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  #onSession(session: smpp.Session): void {
    this.sessions.add(session);
    session.socket.setNoDelay(true);
    session.on('close', () => this.sessions.delete(session));
    session.on('error', () => undefined);
    const onBind = (pdu: smpp.PDU) => {
      this.binds.push({
        command: pdu.command,
        systemId: String(pdu.system_id),
        password: String(pdu.password),
        systemType: String(pdu.system_type),
        interfaceVersion: Number(pdu.interface_version),
      });
      const ok = pdu.system_id === (this.options.systemId ?? 'qoltanba') && pdu.password === (this.options.password ?? 'secret');
      session.send(pdu.response(ok ? {} : { command_status: smpp.errors.ESME_RINVPASWD as number }));
      if (!ok) session.close();
    };
    session.on('bind_transmitter', onBind);
    session.on('bind_transceiver', onBind);
    session.on('enquire_link', (pdu: smpp.PDU) => {
      this.enquireLinks.push(Date.now());
      session.send(pdu.response());
    });
    session.on('unbind', (pdu: smpp.PDU) => {
      session.send(pdu.response());
      session.close();
    });
    session.on('unbind_resp', () => this.unbindResponses++);
    session.on('deliver_sm_resp', (pdu: smpp.PDU) => {
      this.#deliverWaiters.get(pdu.sequence_number)?.(pdu);
      this.#deliverWaiters.delete(pdu.sequence_number);
    });
    session.on('submit_sm', (pdu: smpp.PDU) => {
      const index = this.submits.length;
      this.submits.push(pdu);
      this.outstanding++;
      this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
      const decision = this.options.onSubmit?.(pdu, index, session) ?? {};
      if (decision.drop) {
        session.destroy();
        return;
      }
      if (decision.hold) return;
      const answer = () => {
        this.outstanding--;
        const status = decision.status ?? 0;
        if (status !== 0) {
          session.send(pdu.response({ command_status: status }));
          return;
        }
        const id = `M${this.#nextId++}`;
        this.issuedIds.add(id);
        session.send(pdu.response({ message_id: id }));
      };
      if (decision.delayMs) setTimeout(answer, decision.delayMs);
      else answer();
    });
  }

  /** Sends a deliver_sm on a bound session and resolves with the client's deliver_sm_resp. */
  deliver(fields: Record<string, unknown>, session = [...this.sessions][0]): Promise<smpp.PDU> {
    if (!session) return Promise.reject(new Error('no client session'));
    const pdu = new smpp.PDU('deliver_sm', fields);
    return new Promise((resolve, reject) => {
      if (!session.send(pdu)) reject(new Error('session not writable'));
      this.#deliverWaiters.set(pdu.sequence_number, resolve);
    });
  }

  /** The SMSC ends every session politely (maintenance), as SMPP 3.4 allows it to. */
  unbindAll(): void {
    for (const s of this.sessions) s.send(new smpp.PDU('unbind'));
  }

  /** Every client connection is cut, as when the SMSC restarts. */
  dropAll(): void {
    for (const s of this.sessions) s.destroy();
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The concatenation UDH fields node-smpp split off a received short_message: [reference, total, sequence]. */
export function concatInfo(pdu: smpp.PDU): { reference: number; total: number; sequence: number } | undefined {
  const udh = (pdu.short_message as { udh?: Buffer[] }).udh;
  const ie = udh?.find((b) => b[0] === 0x00 && b[1] === 0x03);
  return ie ? { reference: ie[2]!, total: ie[3]!, sequence: ie[4]! } : undefined;
}

/** The text node-smpp decoded from a received short_message (UCS-2 for data_coding 8, GSM 03.38 for 0). */
export function receivedText(pdu: smpp.PDU): string {
  return String((pdu.short_message as { message: string }).message);
}
