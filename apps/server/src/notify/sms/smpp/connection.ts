/**
 * One SMPP 3.4 session to the SMSC that stays up: bind, keep alive with enquire_link, answer what the SMSC
 * sends (enquire_link, unbind, deliver_sm), and on any drop fail what was in flight and bind again with
 * exponential backoff. It knows nothing about messages; the gateway builds submit_sm on top of `request`.
 *
 * Requests that were written but not answered when the connection drops are failed as transient with
 * `maybeAccepted: true`: the SMSC may have taken them just before the drop, so a retry can duplicate an SMS —
 * the lesser evil next to a reminder that silently never goes out.
 */
import { EventEmitter } from 'node:events';
import smpp from 'smpp';
import { deliveryFailure } from '../../failure.ts';
import { silentLog, type NotifyLog } from '../../log.ts';
import { statusName } from './command-status.ts';
import type { QtError } from '@qoltanba/pki';

export type BindMode = 'transmitter' | 'transceiver';

export interface SmppConnectionOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: boolean;
  readonly systemId: string;
  readonly password: string;
  readonly systemType?: string;
  readonly bindMode: BindMode;
  /** enquire_link period; the SMSC drops idle sessions after its own timer (often 60 s). */
  readonly enquireLinkMs?: number;
  /** How long to wait for any response (bind, submit_sm, enquire_link) before giving up on it. */
  readonly responseTimeoutMs?: number;
  readonly reconnect?: { readonly initialMs?: number; readonly maxMs?: number };
  readonly log?: NotifyLog;
}

type State = 'connecting' | 'bound' | 'waiting' | 'closed';

interface Pending {
  readonly resolve: (pdu: smpp.PDU) => void;
  readonly reject: (e: QtError) => void;
  readonly timer: NodeJS.Timeout;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (e: QtError) => void;
}

const SMPP_3_4 = 0x34;

function unavailable(message: string, extra: Record<string, unknown> = {}): QtError {
  return deliveryFailure('QT_ERR_SMS_UNAVAILABLE', message, { permanent: false, transport: 'smpp', ...extra });
}

export interface SmppConnectionEvents {
  bound: [];
  down: [reason: string];
  /** Answer with `ack()` (written down) or `ack(status)` (not now: the SMSC sends it again later). */
  deliver_sm: [pdu: smpp.PDU, ack: (commandStatus?: number) => void];
}

export class SmppConnection extends EventEmitter<SmppConnectionEvents> {
  #state: State = 'waiting';
  #session: smpp.Session | undefined;
  #attempt = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #enquireTimer: NodeJS.Timeout | undefined;
  #lastBindError: QtError | undefined;
  readonly #pending = new Map<number, Pending>();
  readonly #waiters = new Set<Waiter>();
  readonly #log: NotifyLog;
  readonly #responseTimeoutMs: number;
  /** Counts binds, so tests and health checks can see reconnections. */
  binds = 0;

  constructor(readonly options: SmppConnectionOptions) {
    super();
    this.#log = options.log ?? silentLog;
    this.#responseTimeoutMs = options.responseTimeoutMs ?? 30_000;
  }

  get state(): State {
    return this.#state;
  }

  get isBound(): boolean {
    return this.#state === 'bound';
  }

  /** The refusal of the most recent bind attempt, cleared by the next successful bind. */
  get lastBindError(): QtError | undefined {
    return this.#lastBindError;
  }

  start(): void {
    if (this.#state === 'waiting' && !this.#session && !this.#reconnectTimer) this.#open();
  }

  /**
   * Resolves when bound. Fails after `timeoutMs` (transient), or at once when the last bind was refused —
   * waiting would only hide a wrong password behind a timeout.
   */
  whenBound(timeoutMs: number): Promise<void> {
    if (this.#state === 'bound') return Promise.resolve();
    if (this.#state === 'closed') return Promise.reject(unavailable('The SMPP gateway is closed'));
    if (this.#lastBindError) return Promise.reject(this.#lastBindError);
    if (timeoutMs <= 0) return Promise.reject(unavailable('The SMSC connection is down; not waiting for a rebind'));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(unavailable(`The SMSC connection did not come back within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** Sends one request PDU on the bound session and resolves with its response (whatever its command_status). */
  request(command: string, fields: Record<string, unknown> = {}): Promise<smpp.PDU> {
    const session = this.#session;
    if (this.#state !== 'bound' || !session) return Promise.reject(unavailable('The SMSC connection is not bound'));
    return this.#send(session, new smpp.PDU(command, fields));
  }

  #send(session: smpp.Session, pdu: smpp.PDU): Promise<smpp.PDU> {
    return new Promise((resolve, reject) => {
      if (!session.send(pdu)) {
        reject(unavailable('The SMSC connection is not writable'));
        return;
      }
      // node-smpp numbered the PDU inside send(); answers are matched by that number in #onPdu.
      const seq = pdu.sequence_number;
      const timer = setTimeout(() => {
        this.#pending.delete(seq);
        reject(unavailable(`The SMSC did not answer ${pdu.command} within ${this.#responseTimeoutMs} ms`, { maybeAccepted: true }));
      }, this.#responseTimeoutMs);
      this.#pending.set(seq, { resolve, reject, timer });
    });
  }

  #open(): void {
    this.#state = 'connecting';
    const { host, port, tls } = this.options;
    const session = smpp.connect({ host, port, tls: tls ?? false });
    this.#session = session;
    let down = false;
    const onDown = (reason: string) => {
      if (down) return;
      down = true;
      this.#onDown(session, reason);
    };
    // A connect that neither succeeds nor fails (filtered port) must not leave us "connecting" forever.
    const connectTimer = setTimeout(() => {
      session.destroy();
      onDown('connect timeout');
    }, this.#responseTimeoutMs);
    session.on(tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(connectTimer);
      // Submits are small PDUs written back to back; with Nagle on, each waits for the previous one's ACK and
      // the window never fills (measured: 3 of 4 slots used, a fraction of the throughput).
      session.socket.setNoDelay(true);
      void this.#bind(session).catch((e: unknown) => {
        session.destroy();
        onDown(e instanceof Error ? e.message : String(e));
      });
    });
    session.on('pdu', (pdu: smpp.PDU) => this.#onPdu(session, pdu));
    // node-smpp emits 'error' for socket errors and for unparseable PDUs (after which it stops reading):
    // either way the session is finished.
    session.on('error', (e: Error) => {
      clearTimeout(connectTimer);
      session.destroy();
      onDown(e.message);
    });
    session.on('close', () => {
      clearTimeout(connectTimer);
      onDown('connection closed');
    });
  }

  async #bind(session: smpp.Session): Promise<void> {
    const { systemId, password, systemType, bindMode, host, port } = this.options;
    const command = bindMode === 'transceiver' ? 'bind_transceiver' : 'bind_transmitter';
    const resp = await this.#send(
      session,
      new smpp.PDU(command, { system_id: systemId, password, system_type: systemType ?? '', interface_version: SMPP_3_4 }),
    );
    if (session !== this.#session || this.#state === 'closed') return;
    if (resp.command_status !== 0) {
      const name = statusName(resp.command_status);
      this.#lastBindError = deliveryFailure(
        'QT_ERR_SMS_BIND_FAILED',
        `The SMSC refused ${command} for system_id "${systemId}": ${name} (0x${resp.command_status.toString(16)})`,
        // Not permanent for the messages waiting: they are fine, the configuration is not. They wait for the fix.
        { permanent: false, transport: 'smpp', commandStatus: resp.command_status, commandStatusName: name, systemId },
      );
      this.#log.error({ host, port, systemId, commandStatus: name }, 'smpp bind refused');
      for (const w of this.#waiters) w.reject(this.#lastBindError);
      this.#waiters.clear();
      throw this.#lastBindError;
    }
    this.#state = 'bound';
    this.#attempt = 0;
    this.#lastBindError = undefined;
    this.binds++;
    this.#log.info({ host, port, systemId, mode: bindMode }, 'smpp bound');
    this.#startEnquireLink(session);
    for (const w of this.#waiters) w.resolve();
    this.#waiters.clear();
    this.emit('bound');
  }

  #startEnquireLink(session: smpp.Session): void {
    const period = this.options.enquireLinkMs ?? 30_000;
    this.#enquireTimer = setInterval(() => {
      if (this.#session !== session || this.#state !== 'bound') return;
      this.#send(session, new smpp.PDU('enquire_link')).catch(() => {
        // No answer to a keep-alive: the link is dead even if TCP has not noticed yet.
        this.#log.warn({ host: this.options.host }, 'smpp enquire_link unanswered; reconnecting');
        session.destroy();
      });
    }, period);
    this.#enquireTimer.unref();
  }

  #onPdu(session: smpp.Session, pdu: smpp.PDU): void {
    if (pdu.isResponse()) {
      const pending = this.#pending.get(pdu.sequence_number);
      if (!pending) return; // an answer after its timeout: already reported as transient
      this.#pending.delete(pdu.sequence_number);
      clearTimeout(pending.timer);
      pending.resolve(pdu);
      return;
    }
    switch (pdu.command) {
      case 'enquire_link':
        session.send(pdu.response());
        return;
      case 'unbind':
        session.send(pdu.response());
        session.close();
        return;
      case 'deliver_sm': {
        // Acknowledged only when the listener says it has the receipt written down: a receipt acknowledged and
        // then lost with the process would be lost for good, and a receipt can be the only proof that a send
        // got through. Unacknowledged, the SMSC sends it again (on this session later, or on the next bind).
        let answered = false;
        const ack = (commandStatus = 0) => {
          if (answered) return;
          answered = true;
          if (this.#session === session) session.send(pdu.response(commandStatus ? { command_status: commandStatus } : {}));
        };
        if (this.listenerCount('deliver_sm') === 0) ack();
        else this.emit('deliver_sm', pdu, ack);
        return;
      }
      default:
        // 'unknown' gets generic_nack from pdu.response(); other requests (alert_notification, data_sm…)
        // are answered so the SMSC does not wait on us.
        session.send(pdu.response());
    }
  }

  #onDown(session: smpp.Session, reason: string): void {
    if (session !== this.#session) return;
    this.#session = undefined;
    clearInterval(this.#enquireTimer);
    const wasBound = this.#state === 'bound';
    for (const [seq, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(unavailable(`The SMSC connection dropped before it answered (${reason})`, { maybeAccepted: true }));
      this.#pending.delete(seq);
    }
    if (this.#state === 'closed') return;
    this.#state = 'waiting';
    if (wasBound) this.#log.warn({ host: this.options.host, reason }, 'smpp connection lost');
    this.emit('down', reason);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const initial = this.options.reconnect?.initialMs ?? 500;
    const max = this.options.reconnect?.maxMs ?? 30_000;
    const base = Math.min(max, initial * 2 ** this.#attempt);
    // ±20% jitter, so many server nodes do not reconnect to a recovering SMSC in lockstep.
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.#attempt++;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#state === 'waiting') this.#open();
    }, delay);
  }

  /** Abandons the current session (the SMSC no longer treats it as bound); the usual reconnect follows. */
  drop(reason: string): void {
    const session = this.#session;
    if (!session || this.#state === 'closed') return;
    this.#log.warn({ host: this.options.host, reason }, 'smpp session dropped');
    session.destroy();
  }

  /** Unbinds politely (waiting briefly for unbind_resp), fails anything still pending, stops reconnecting. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    const session = this.#session;
    const wasBound = this.#state === 'bound';
    this.#state = 'closed';
    clearTimeout(this.#reconnectTimer);
    clearInterval(this.#enquireTimer);
    for (const w of this.#waiters) w.reject(unavailable('The SMPP gateway is closed'));
    this.#waiters.clear();
    if (!session) return;
    if (wasBound) {
      await Promise.race([
        this.#send(session, new smpp.PDU('unbind')).catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, 2000).unref()),
      ]);
    }
    // The socket's 'close' runs #onDown, which fails whatever is still pending (state is 'closed': no reconnect).
    await new Promise<void>((resolve) => {
      if (session.socket.destroyed) resolve();
      else session.destroy(() => resolve());
    });
  }
}
