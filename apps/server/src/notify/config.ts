/**
 * Transports from plain configuration objects, so the server's configuration (file or environment) picks
 * one by `type`. Configuration mistakes fail here, at start-up, naming the field — never a password or token.
 *
 * The development sinks ('log') are refused when `production` is true; there is deliberately no default
 * transport, so a production server can never end up "sending" into a log without someone writing type: 'log'.
 */
import { QtError } from '@qoltanba/pki';
import { silentLog, type NotifyLog } from './log.ts';
import { MailSink, type LogMailConfig } from './mail/log-mailer.ts';
import type { Mailer } from './mail/mailer.ts';
import { SmtpMailer, type SmtpConfig } from './mail/smtp-mailer.ts';
import type { SmsGateway } from './sms/gateway.ts';
import { HttpSmsGateway, type HttpSmsConfig } from './sms/http-gateway.ts';
import { SmsSink, type LogSmsConfig } from './sms/log-gateway.ts';
import { DemoSmsGateway, type DemoSmsConfig } from './sms/demo-gateway.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { SmppSmsGateway, sourceAddressing, type SmppConfig } from './sms/smpp/smpp-gateway.ts';

export type SmsConfig = SmppConfig | HttpSmsConfig | LogSmsConfig | DemoSmsConfig;
export type MailConfig = SmtpConfig | LogMailConfig;

export interface TransportEnvironment {
  /** Default: NODE_ENV === 'production'. */
  readonly production?: boolean;
  /** Where transports log (pino-shaped; the server passes its logger). Sinks default to one line on stderr. */
  readonly log?: NotifyLog;
  /** Given only by a server started with --demo: where the demo SMS gateway records (../demo). */
  readonly demo?: { readonly db: Kysely<Database> } | undefined;
}

function configError(message: string, field?: string): QtError {
  return new QtError('QT_ERR_NOTIFY_CONFIG', message, field ? { field } : undefined);
}

function requireString(config: object, field: string, kind: string): void {
  const v = (config as Record<string, unknown>)[field];
  if (typeof v !== 'string' || v === '') throw configError(`${kind}: "${field}" is required`, field);
}

function optionalPositive(config: object, field: string, kind: string, integer = true): void {
  const v = (config as Record<string, unknown>)[field];
  if (v === undefined) return;
  if (typeof v !== 'number' || !(v > 0) || (integer && !Number.isInteger(v))) throw configError(`${kind}: "${field}" must be a positive number`, field);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}

function isProduction(env: TransportEnvironment): boolean {
  return env.production ?? process.env.NODE_ENV === 'production';
}

export function createSmsGateway(config: SmppConfig, env?: TransportEnvironment): SmppSmsGateway;
export function createSmsGateway(config: HttpSmsConfig, env?: TransportEnvironment): HttpSmsGateway;
export function createSmsGateway(config: LogSmsConfig, env?: TransportEnvironment): SmsSink;
export function createSmsGateway(config: SmsConfig, env?: TransportEnvironment): SmsGateway;
export function createSmsGateway(config: SmsConfig, env: TransportEnvironment = {}): SmsGateway {
  const production = isProduction(env);
  switch (config?.type) {
    case 'smpp': {
      for (const f of ['host', 'systemId', 'password', 'source']) requireString(config, f, 'SMPP');
      for (const f of ['port', 'window', 'maxParts', 'bindWaitMs', 'responseTimeoutMs', 'enquireLinkMs', 'slowDownMs']) optionalPositive(config, f, 'SMPP');
      optionalPositive(config, 'maxPerSecond', 'SMPP', false);
      sourceAddressing(config.source);
      return new SmppSmsGateway(config, env.log ?? silentLog);
    }
    case 'http': {
      requireString(config, 'url', 'HTTP SMS gateway');
      requireString(config, 'token', 'HTTP SMS gateway');
      optionalPositive(config, 'timeoutMs', 'HTTP SMS gateway');
      let url: URL;
      try {
        url = new URL(config.url);
      } catch {
        throw configError('HTTP SMS gateway: "url" is not a URL', 'url');
      }
      // The bearer token would cross the network in clear.
      if (production && url.protocol !== 'https:' && !isLoopback(url.hostname)) {
        throw configError('HTTP SMS gateway: "url" must be https in production', 'url');
      }
      return new HttpSmsGateway(config, env.log ?? silentLog);
    }
    case 'log':
      if (production) throw configError('The SMS sink (type "log") is for development only; configure type "smpp" or "http"', 'type');
      optionalPositive(config, 'keep', 'SMS sink');
      return new SmsSink(config, env.log);
    case 'demo':
      if (production) throw configError('The demo SMS gateway (type "demo") is refused in production', 'type');
      if (!env.demo) throw configError('The demo SMS gateway (type "demo") runs only in a server started with `qoltanba up --demo`', 'type');
      return new DemoSmsGateway(env.demo.db, config);
    default:
      throw configError(`SMS transport type must be "smpp", "http" or "log" (got ${JSON.stringify((config as { type?: unknown })?.type)})`, 'type');
  }
}

export function createMailer(config: SmtpConfig, env?: TransportEnvironment): SmtpMailer;
export function createMailer(config: LogMailConfig, env?: TransportEnvironment): MailSink;
export function createMailer(config: MailConfig, env?: TransportEnvironment): Mailer;
export function createMailer(config: MailConfig, env: TransportEnvironment = {}): Mailer {
  const production = isProduction(env);
  switch (config?.type) {
    case 'smtp': {
      requireString(config, 'host', 'SMTP');
      requireString(config, 'from', 'SMTP');
      optionalPositive(config, 'port', 'SMTP');
      optionalPositive(config, 'timeoutMs', 'SMTP');
      if (config.security !== undefined && !['tls', 'starttls', 'none'].includes(config.security)) {
        throw configError('SMTP: "security" must be "tls", "starttls" or "none"', 'security');
      }
      if (config.auth) {
        requireString(config.auth, 'user', 'SMTP auth');
        requireString(config.auth, 'pass', 'SMTP auth');
        // AUTH over an unencrypted connection hands the password to anyone on the path.
        if (production && config.security === 'none' && !isLoopback(config.host)) {
          throw configError('SMTP: a login over security "none" is refused in production; use "starttls" or "tls"', 'security');
        }
      }
      return new SmtpMailer(config, env.log ?? silentLog);
    }
    case 'log':
      if (production) throw configError('The mail sink (type "log") is for development only; configure type "smtp"', 'type');
      optionalPositive(config, 'keep', 'mail sink');
      return new MailSink(config, env.log);
    default:
      throw configError(`Mail transport type must be "smtp" or "log" (got ${JSON.stringify((config as { type?: unknown })?.type)})`, 'type');
  }
}
