/**
 * SMS through an HTTP gateway (an aggregator's REST API, or our own relay in front of an SMSC):
 * POST {url} with JSON { to, text, reference, validForMinutes? } and "Authorization: Bearer <token>".
 * The reference doubles as Idempotency-Key, so a retry after a timeout can be recognised by the gateway: the
 * outbox sends a send whose answer it never saw again under the same key (correlation 'idempotency-key').
 *
 * Answers: 2xx → accepted, ids read from the body ({ messageIds: [...] } | { messageId } | { id }).
 * 4xx → permanent (the gateway refuses this message), except 408/425/429, which mean "later", and 401/403,
 * which mean our token is wrong — the message is fine, so it waits (transient) for the configuration fix.
 * 5xx, network errors and timeouts → transient.
 */
import { deliveryFailure } from '../failure.ts';
import { silentLog, type NotifyLog } from '../log.ts';
import { maskSecrets } from '../mask.ts';
import { maskPhone, normalizeKzPhone } from '../phone.ts';
import type { SmsGateway, SmsMessage, SmsSendResult } from './gateway.ts';
import { planSms } from './segments.ts';

export interface HttpSmsConfig {
  readonly type: 'http';
  readonly url: string;
  readonly token: string;
  /** Default 10 000. */
  readonly timeoutMs?: number;
  /** Default 10. */
  readonly maxParts?: number;
}

const retryLater = new Set([408, 425, 429]);
const credentialsRefused = new Set([401, 403]);

function idsFrom(body: unknown): string[] {
  if (!body || typeof body !== 'object') return [];
  const b = body as Record<string, unknown>;
  if (Array.isArray(b.messageIds)) return b.messageIds.map(String);
  const one = b.messageId ?? b.id;
  return one === undefined || one === null ? [] : [String(one)];
}

export class HttpSmsGateway implements SmsGateway {
  readonly correlation = 'idempotency-key' as const;
  readonly #config: HttpSmsConfig;
  readonly #log: NotifyLog;
  readonly #inFlight = new Set<AbortController>();

  constructor(config: HttpSmsConfig, log: NotifyLog = silentLog) {
    this.#config = config;
    this.#log = log;
  }

  async send(message: SmsMessage): Promise<SmsSendResult> {
    const to = normalizeKzPhone(message.to);
    const parts = planSms(message.text, this.#config.maxParts ?? 10).parts.length;
    await message.beforeSubmit?.({ parts, to });
    const timeoutMs = this.#config.timeoutMs ?? 10_000;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    this.#inFlight.add(controller);
    const logFields = { to: maskPhone(to), reference: message.reference, parts };
    let response: Response;
    let bodyText: string;
    try {
      response = await fetch(this.#config.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${this.#config.token}`,
          ...(message.reference !== undefined && { 'idempotency-key': message.reference }),
        },
        body: JSON.stringify({
          to,
          text: message.text,
          reference: message.reference ?? null,
          ...(message.validForMinutes !== undefined && { validForMinutes: message.validForMinutes }),
        }),
        signal: controller.signal,
      });
      bodyText = await response.text();
    } catch (e) {
      const why = controller.signal.aborted ? String((controller.signal.reason as Error)?.message ?? 'aborted') : (e as Error).message;
      this.#log.warn({ ...logFields, error: why }, 'sms gateway unreachable');
      throw deliveryFailure('QT_ERR_SMS_UNAVAILABLE', `The SMS gateway did not answer: ${why}`, {
        permanent: false,
        transport: 'http',
        maybeAccepted: true,
      }, e);
    } finally {
      clearTimeout(timer);
      this.#inFlight.delete(controller);
    }

    if (response.ok) {
      let body: unknown;
      try {
        body = bodyText ? JSON.parse(bodyText) : undefined;
      } catch {
        body = undefined; // accepted is accepted; a body we cannot read only costs us the ids
      }
      const messageIds = idsFrom(body);
      this.#log.info({ ...logFields, messageIds: messageIds.join(',') }, 'sms submitted');
      return { messageIds, parts, to };
    }

    const status = response.status;
    const gatewayMessage = maskSecrets(bodyText.slice(0, 300), message.secrets);
    this.#log.warn({ ...logFields, status, gatewayMessage }, 'sms gateway refused');
    const details = { transport: 'http', responseCode: status, gatewayMessage };
    if (credentialsRefused.has(status)) {
      throw deliveryFailure('QT_ERR_SMS_BIND_FAILED', `The SMS gateway refused our token (HTTP ${status})`, { ...details, permanent: false });
    }
    if (status >= 400 && status < 500 && !retryLater.has(status)) {
      throw deliveryFailure('QT_ERR_SMS_REJECTED', `The SMS gateway rejected the message (HTTP ${status})`, { ...details, permanent: true });
    }
    throw deliveryFailure('QT_ERR_SMS_UNAVAILABLE', `The SMS gateway is unavailable (HTTP ${status}); retry later`, { ...details, permanent: false });
  }

  async close(): Promise<void> {
    for (const c of this.#inFlight) c.abort(new Error('gateway closed'));
  }
}
