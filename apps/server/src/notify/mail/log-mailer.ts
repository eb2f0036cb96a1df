/**
 * DEVELOPMENT ONLY: the mail sink, twin of the SMS sink. Logs one line per message (address masked, subject
 * only) and keeps the last `keep` messages in memory for the dev UI and tests. createMailer refuses it in
 * production.
 */
import { randomUUID } from 'node:crypto';
import { lineLog, type NotifyLog } from '../log.ts';
import { checkEmailAddress, maskEmail, type MailMessage, type MailSendResult, type Mailer } from './mailer.ts';

export interface LogMailConfig {
  readonly type: 'log';
  /** Default 100. */
  readonly keep?: number;
}

export interface SinkMail extends MailMessage {
  readonly messageId: string;
  readonly at: Date;
}

export class MailSink implements Mailer {
  readonly #keep: number;
  readonly #log: NotifyLog;
  readonly #messages: SinkMail[] = [];

  constructor(config: LogMailConfig = { type: 'log' }, log: NotifyLog = lineLog()) {
    this.#keep = config.keep ?? 100;
    this.#log = log;
  }

  async send(message: MailMessage): Promise<MailSendResult> {
    const to = checkEmailAddress(message.to);
    const stored: SinkMail = { ...message, to, messageId: `<${randomUUID()}@sink.invalid>`, at: new Date() };
    this.#messages.push(stored);
    if (this.#messages.length > this.#keep) this.#messages.splice(0, this.#messages.length - this.#keep);
    this.#log.info({ messageId: stored.messageId, to: maskEmail(to), reference: message.reference, subject: message.subject }, 'mail sink (not sent)');
    return { messageId: stored.messageId, response: '250 kept by the development mail sink' };
  }

  messages(): readonly SinkMail[] {
    return [...this.#messages];
  }

  last(to?: string): SinkMail | undefined {
    return [...this.#messages].reverse().find((m) => to === undefined || m.to.toLowerCase() === to.toLowerCase());
  }

  clear(): void {
    this.#messages.length = 0;
  }

  async close(): Promise<void> {}
}
