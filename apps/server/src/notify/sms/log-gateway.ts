/**
 * DEVELOPMENT ONLY: the "SMS sink". Nothing leaves the machine; each message is written as one log line and
 * kept in memory (the last `keep`), so the dev UI can show it and the portal's end-to-end test can read the
 * one-time code it just triggered. createSmsGateway refuses it in production, and no configuration defaults
 * to it: a server that silently "sends" reminders into a log would be the fake that always says yes.
 *
 * The log line masks the number (last 4 digits) and one-time codes unless `revealCodes` is set for a dev box;
 * the in-memory copy keeps the full text — that is the point of the sink.
 */
import { randomUUID } from 'node:crypto';
import { lineLog, type NotifyLog } from '../log.ts';
import { maskSecrets } from '../mask.ts';
import { maskPhone, normalizeKzPhone, type E164 } from '../phone.ts';
import type { SmsGateway, SmsMessage, SmsSendResult } from './gateway.ts';
import { planSms } from './segments.ts';

export interface LogSmsConfig {
  readonly type: 'log';
  /** How many messages the sink remembers. Default 100. */
  readonly keep?: number;
  /** Log one-time codes in clear (a developer's own machine only). Default false. */
  readonly revealCodes?: boolean;
  readonly maxParts?: number;
}

export interface SinkMessage {
  readonly id: string;
  readonly to: E164;
  readonly text: string;
  readonly reference?: string;
  readonly parts: number;
  readonly at: Date;
}

export class SmsSink implements SmsGateway {
  readonly #config: LogSmsConfig;
  readonly #log: NotifyLog;
  readonly #messages: SinkMessage[] = [];
  readonly #waiters = new Set<(m: SinkMessage) => void>();

  constructor(config: LogSmsConfig = { type: 'log' }, log: NotifyLog = lineLog()) {
    this.#config = config;
    this.#log = log;
  }

  async send(message: SmsMessage): Promise<SmsSendResult> {
    const to = normalizeKzPhone(message.to);
    const parts = planSms(message.text, this.#config.maxParts ?? 10).parts.length;
    await message.beforeSubmit?.({ parts, to });
    const stored: SinkMessage = {
      id: randomUUID(),
      to,
      text: message.text,
      parts,
      at: new Date(),
      ...(message.reference !== undefined && { reference: message.reference }),
    };
    this.#messages.push(stored);
    const keep = this.#config.keep ?? 100;
    if (this.#messages.length > keep) this.#messages.splice(0, this.#messages.length - keep);
    const text = this.#config.revealCodes ? message.text : maskSecrets(message.text, message.secrets);
    this.#log.info({ id: stored.id, to: maskPhone(to), reference: message.reference, parts, text }, 'sms sink (not sent)');
    for (const w of this.#waiters) w(stored);
    return { messageIds: [stored.id], parts, to };
  }

  /** Everything remembered, oldest first. */
  messages(): readonly SinkMessage[] {
    return [...this.#messages];
  }

  /** The newest message, or the newest to `to` (any accepted number form). */
  last(to?: string): SinkMessage | undefined {
    const target = to === undefined ? undefined : normalizeKzPhone(to);
    for (let i = this.#messages.length - 1; i >= 0; i--) {
      const m = this.#messages[i]!;
      if (target === undefined || m.to === target) return m;
    }
    return undefined;
  }

  /**
   * The newest message to `to` sent at or after `since`, else the next one, waiting up to `timeoutMs` — so a
   * test that notes the time, clicks "send code" and then asks gets the code whichever happens first.
   * Without `since`, only a message sent after the call counts.
   */
  waitFor(to: string, options: { since?: Date; timeoutMs?: number } = {}): Promise<SinkMessage> {
    const target = normalizeKzPhone(to);
    const found = options.since && this.last(target);
    if (found && options.since && found.at >= options.since) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = (m: SinkMessage) => {
        if (m.to !== target) return;
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve(m);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`no SMS to ${maskPhone(target)} within ${options.timeoutMs ?? 5000} ms`));
      }, options.timeoutMs ?? 5000);
      this.#waiters.add(waiter);
    });
  }

  clear(): void {
    this.#messages.length = 0;
  }

  async close(): Promise<void> {}
}
