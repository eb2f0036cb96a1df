/**
 * E-mail over SMTP with nodemailer. Failures are classified by RFC 5321 reply class: 5yz (a recipient
 * that does not exist, a refused message) is permanent; 4yz (greylisting, mailbox busy), a dropped or
 * refused connection, a timeout or a TLS failure is transient. A refused login (EAUTH) is our
 * configuration, not the message: transient, with reason "credentials" so the operator sees why.
 */
import nodemailer, { type NodemailerError, type SMTPTransportOptions, type Transporter } from 'nodemailer';
import { deliveryFailure } from '../failure.ts';
import { silentLog, type NotifyLog } from '../log.ts';
import { checkEmailAddress, maskEmail, type MailMessage, type MailSendResult, type Mailer } from './mailer.ts';

export interface SmtpConfig {
  readonly type: 'smtp';
  readonly host: string;
  /** Default: 465 for 'tls', 587 for 'starttls', 25 for 'none'. */
  readonly port?: number;
  /** 'tls' = implicit TLS (SMTPS); 'starttls' = plain connect, then STARTTLS is required; 'none' = never encrypt (local relay only). Default 'starttls'. */
  readonly security?: 'tls' | 'starttls' | 'none';
  readonly auth?: { readonly user: string; readonly pass: string };
  /** From header, e.g. '"Qoltanba" <noreply@qoltanba.kz>'. */
  readonly from: string;
  /** Verify the server's certificate. Default true; false only for a test server with a self-signed certificate. */
  readonly rejectUnauthorized?: boolean;
  /** Connection, greeting and socket timeouts. Default 15 000. */
  readonly timeoutMs?: number;
  /** Keep a few connections open for batches of reminders. Default false. */
  readonly pool?: boolean;
}

const defaultPort = { tls: 465, starttls: 587, none: 25 } as const;

/** Only letters, digits and a few separators survive into a header value; it must never carry a line break. */
function headerSafe(value: string): string {
  return value.replace(/[^\w.:@-]/g, '').slice(0, 100);
}

export class SmtpMailer implements Mailer {
  readonly #transport: Transporter;
  readonly #config: SmtpConfig;
  readonly #log: NotifyLog;

  constructor(config: SmtpConfig, log: NotifyLog = silentLog) {
    this.#config = config;
    this.#log = log;
    const security = config.security ?? 'starttls';
    const timeout = config.timeoutMs ?? 15_000;
    const options: SMTPTransportOptions = {
      host: config.host,
      port: config.port ?? defaultPort[security],
      secure: security === 'tls',
      requireTLS: security === 'starttls',
      ignoreTLS: security === 'none',
      ...(config.auth && { auth: { user: config.auth.user, pass: config.auth.pass } }),
      tls: { rejectUnauthorized: config.rejectUnauthorized ?? true },
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      ...(config.pool && { pool: true }),
      // nodemailer's own logger would print the SMTP dialogue, AUTH included; we log outcomes ourselves.
      logger: false,
      debug: false,
    };
    this.#transport = nodemailer.createTransport(options);
  }

  async send(message: MailMessage): Promise<MailSendResult> {
    const to = checkEmailAddress(message.to);
    const logFields = { to: maskEmail(to), reference: message.reference };
    try {
      const info = await this.#transport.sendMail({
        from: this.#config.from,
        to,
        // A line break in a subject would be a header injection; the texts are ours, but be certain.
        subject: message.subject.replace(/[\r\n]+/g, ' '),
        text: message.text,
        ...(message.html !== undefined && { html: message.html }),
        ...(message.reference !== undefined && { headers: { 'X-Qoltanba-Reference': headerSafe(message.reference) } }),
      });
      this.#log.info({ ...logFields, messageId: info.messageId }, 'mail sent');
      return { messageId: String(info.messageId), response: String(info.response ?? '') };
    } catch (e) {
      throw this.#classify(e as NodemailerError, logFields);
    }
  }

  #classify(e: NodemailerError, logFields: Record<string, unknown>) {
    const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
    const base = { transport: 'smtp', ...(responseCode !== undefined && { responseCode }), smtpCode: e.code };
    // The server's reply text can quote the recipient address back; keep it out of the logs.
    this.#log.warn({ ...logFields, smtpCode: e.code, responseCode }, 'mail not sent');
    if (e.code === 'EAUTH' || e.code === 'ENOAUTH') {
      return deliveryFailure('QT_ERR_EMAIL_UNAVAILABLE', `The mail server refused our login (${responseCode ?? e.code}); check the SMTP user and password`, {
        ...base,
        permanent: false,
        reason: 'credentials',
      }, e);
    }
    const permanent = responseCode !== undefined ? responseCode >= 500 && responseCode !== 503 : e.code === 'EENVELOPE' || e.code === 'EMESSAGE';
    const reply = e.response ? `: ${e.response.slice(0, 200)}` : e.message ? `: ${e.message}` : '';
    return permanent
      ? deliveryFailure('QT_ERR_EMAIL_REJECTED', `The mail server rejected the message${reply}`, { ...base, permanent: true }, e)
      : deliveryFailure('QT_ERR_EMAIL_UNAVAILABLE', `The mail server is unavailable or deferred the message${reply}`, { ...base, permanent: false }, e);
  }

  async close(): Promise<void> {
    this.#transport.close();
  }
}
