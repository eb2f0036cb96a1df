/**
 * The notifier's transports: one SMS interface (SMPP 3.4, HTTP gateway, development sink) that carries both
 * expiry reminders and the portal's one-time codes, one Mailer (SMTP, development sink), and the kk/ru/en
 * texts. Every failure is a QtError with details.permanent (dead-letter) or not (retry later).
 * On top of them, expiry reminders: the mobile-citizens registry (mobile-citizens/), the due-reminder scan
 * (schedule/), the outbox and its worker (outbox/, notifier.ts) and the server feature (feature.ts); see README.
 */
export { createMailer, createSmsGateway, type MailConfig, type SmsConfig, type TransportEnvironment } from './config.ts';
export { isPermanentFailure, type FailureDetails } from './failure.ts';
export { lineLog, silentLog, type NotifyLog } from './log.ts';
export { maskSecrets } from './mask.ts';
export { isKzPhone, maskPhone, normalizeKzPhone, type E164 } from './phone.ts';
export {
  expiryReminderEmail,
  expiryReminderSms,
  formatSmsDate,
  notifyMessages,
  oneTimeCodeSms,
  portalForSms,
  type ExpiryEmail,
  type ExpiryReminder,
  type KeyKind,
  type OneTimeCodePurpose,
  type OneTimeCodeRequest,
  type SmsLanguage,
} from './messages.ts';
export { hasReceipts, type DeliveryReceipt, type ReceiptSource, type ReceiptState, type SendCorrelation, type SmsGateway, type SmsMessage, type SmsSendResult } from './sms/gateway.ts';
export { countSmsParts, isGsm7, planSms, type SmsPlan } from './sms/segments.ts';
export { SmppSmsGateway, type SmppConfig } from './sms/smpp/smpp-gateway.ts';
export { HttpSmsGateway, type HttpSmsConfig } from './sms/http-gateway.ts';
export { SmsSink, type LogSmsConfig, type SinkMessage } from './sms/log-gateway.ts';
export { checkEmailAddress, maskEmail, type MailMessage, type MailSendResult, type Mailer } from './mail/mailer.ts';
export { SmtpMailer, type SmtpConfig } from './mail/smtp-mailer.ts';
export { MailSink, type LogMailConfig, type SinkMail } from './mail/log-mailer.ts';
// Expiry reminders: the mobile-citizens registry, the scan, the outbox and its worker, the administrator's views.
export { DatabaseMobileCitizens, importMobileCitizensCsv, type MobileCitizens, type MobileCitizenEntry, type MobileCitizensImportOptions, type MobileCitizensImportReport, type MobileCitizensRowProblem } from './mobile-citizens/index.ts';
export { scanDueReminders, type ScanOptions, type ScanResult } from './schedule/scan.ts';
export { Notifier, SCAN_QUEUE, DELIVER_QUEUE, type NotifierOptions, type PassResult, type ScheduleOptions } from './notifier.ts';
export { outboxStatus, retryMessages, type OutboxStatus, type RetrySelection } from './outbox/admin.ts';
export { recordReceipt } from './outbox/receipts.ts';
export { type DeliveryResult } from './outbox/deliver.ts';
export { type SettleResult } from './outbox/settle.ts';
export { resolveNotifySettings, type NotifySettings, type NotifySettingsInput, type RetryPolicy, type UncorrelatedSends } from './settings.ts';
export { DEFAULT_NOTIFY_LANGUAGE, MESSAGE_STATES, NOTIFY_LANGUAGES, type MessageState, type NotifyChannel, type NotifyLanguage } from './tables.ts';
