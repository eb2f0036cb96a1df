/**
 * The reminder settings a server reads from `notify` in server.json: thresholds per channel, transports,
 * the portal address, retry policy. Everything is optional; resolveNotifySettings() fills safe defaults —
 * in development the log-only sinks, in production no transport at all (a channel without one keeps its
 * reminders pending, visible in `qoltanba notify status`, until a transport is configured: nothing is
 * dropped and nothing is "sent" into a log).
 *
 * Transport passwords do not belong in server.json: QOLTANBA_SMPP_PASSWORD, QOLTANBA_SMS_TOKEN and
 * QOLTANBA_SMTP_PASSWORD, when set, fill them in.
 */
import { QtError } from '@qoltanba/pki';
import type { MailConfig, SmsConfig } from './config.ts';

export interface RetryPolicy {
  /** Attempts before a transient failure becomes a dead letter. */
  readonly maxAttempts: number;
  /** First retry delay; each later one doubles (with ±20 % jitter) up to maxSeconds. */
  readonly baseSeconds: number;
  readonly maxSeconds: number;
}

export type UncorrelatedSends = 'at-least-once' | 'at-most-once';

export interface NotifySettings {
  readonly enabled: boolean;
  /** Shown in every reminder: where to re-issue. */
  readonly portalUrl: string;
  /** Days before expiry. SMS: NCA's practice is 10; e-mail 30, 14 and 7. */
  readonly smsThresholdsDays: readonly number[];
  readonly emailThresholdsDays: readonly number[];
  /** Expiry days, and the hour reminders become due, are counted in this zone (one zone, UTC+5, since 2024). */
  readonly timeZone: string;
  /** Reminders of a day become due at this local hour: nobody wants an SMS about keys at 00:05. */
  readonly sendFromHour: number;
  readonly sms: SmsConfig | undefined;
  readonly mail: MailConfig | undefined;
  readonly retry: RetryPolicy;
  /** How long a claimed message may stay unconfirmed before another worker looks at it. */
  readonly leaseSeconds: number;
  /**
   * What happens to a send whose outcome a crash or a dropped connection hid, when the transport can give no
   * evidence about it (SMTP; SMPP without receipts, or whose receipts do not carry our reference): send it again
   * ('at-least-once', the default: a reminder twice is a nuisance, none can cost a citizen their keys) or not
   * ('at-most-once': it stays 'unknown' for an operator). Either way `notify status` lists it. Sends that the
   * SMSC can identify (receipts with our reference) never fall under this: they wait for its evidence.
   */
  readonly uncorrelatedSends: UncorrelatedSends;
  /** Messages claimed per round trip, and sent concurrently. */
  readonly batchSize: number;
  readonly concurrency: number;
  /** Certificates looked at per scan transaction (keyset page): keeps each transaction short on PGlite. */
  readonly scanPageSize: number;
}

export type NotifySettingsInput = { -readonly [K in keyof NotifySettings]?: NotifySettings[K] | undefined } & {
  retry?: Partial<RetryPolicy>;
  /** No longer used: sends are settled by the SMSC's evidence, not after a grace period. Accepted and ignored. */
  receiptGraceSeconds?: number;
};

export function resolveNotifySettings(
  input: NotifySettingsInput | undefined,
  context: { publicUrl: string; env?: NodeJS.ProcessEnv },
): NotifySettings {
  const env = context.env ?? process.env;
  const production = env.NODE_ENV === 'production';
  const i = input ?? {};
  const settings: NotifySettings = {
    enabled: i.enabled ?? true,
    portalUrl: i.portalUrl ?? context.publicUrl,
    smsThresholdsDays: thresholds(i.smsThresholdsDays ?? [10], 'smsThresholdsDays'),
    emailThresholdsDays: thresholds(i.emailThresholdsDays ?? [30, 14, 7], 'emailThresholdsDays'),
    timeZone: i.timeZone ?? 'Asia/Almaty',
    sendFromHour: i.sendFromHour ?? 10,
    sms: withSecret(i.sms ?? (production ? undefined : { type: 'log' }), env),
    mail: withSecret(i.mail ?? (production ? undefined : { type: 'log' }), env),
    retry: { maxAttempts: 8, baseSeconds: 60, maxSeconds: 6 * 3600, ...definedOnly(i.retry ?? {}) },
    leaseSeconds: i.leaseSeconds ?? 120,
    uncorrelatedSends: i.uncorrelatedSends ?? 'at-least-once',
    batchSize: i.batchSize ?? 100,
    concurrency: i.concurrency ?? 10,
    scanPageSize: i.scanPageSize ?? 2000,
  };
  try {
    Intl.DateTimeFormat('en', { timeZone: settings.timeZone });
  } catch {
    throw new QtError('QT_ERR_NOTIFY_CONFIG', `notify.timeZone "${settings.timeZone}" is not a time zone`, { field: 'timeZone' });
  }
  if (!Number.isInteger(settings.sendFromHour) || settings.sendFromHour < 0 || settings.sendFromHour > 23) {
    throw new QtError('QT_ERR_NOTIFY_CONFIG', 'notify.sendFromHour must be an hour 0–23', { field: 'sendFromHour' });
  }
  if (settings.uncorrelatedSends !== 'at-least-once' && settings.uncorrelatedSends !== 'at-most-once') {
    throw new QtError('QT_ERR_NOTIFY_CONFIG', 'notify.uncorrelatedSends must be "at-least-once" or "at-most-once"', { field: 'uncorrelatedSends' });
  }
  for (const f of ['leaseSeconds', 'batchSize', 'concurrency', 'scanPageSize'] as const) positive(settings[f], f);
  for (const f of ['maxAttempts', 'baseSeconds', 'maxSeconds'] as const) positive(settings.retry[f], `retry.${f}`);
  return settings;
}

function thresholds(days: readonly number[], field: string): number[] {
  const list = [...new Set(days)];
  if (!Array.isArray(days) || list.some((d) => !Number.isInteger(d) || d < 0 || d > 365)) {
    throw new QtError('QT_ERR_NOTIFY_CONFIG', `notify.${field} must be whole numbers of days 0–365`, { field });
  }
  return list.sort((a, b) => b - a);
}

function positive(n: number, field: string): void {
  if (!(typeof n === 'number' && n > 0)) throw new QtError('QT_ERR_NOTIFY_CONFIG', `notify.${field} must be a positive number`, { field });
}


function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function withSecret<T extends SmsConfig | MailConfig | undefined>(config: T, env: NodeJS.ProcessEnv): T {
  if (!config) return config;
  if (config.type === 'smpp' && env.QOLTANBA_SMPP_PASSWORD) return { ...config, password: env.QOLTANBA_SMPP_PASSWORD };
  if (config.type === 'http' && env.QOLTANBA_SMS_TOKEN) return { ...config, token: env.QOLTANBA_SMS_TOKEN };
  if (config.type === 'smtp' && config.auth && env.QOLTANBA_SMTP_PASSWORD) return { ...config, auth: { ...config.auth, pass: env.QOLTANBA_SMTP_PASSWORD } };
  return config;
}
