/**
 * Masking for logs. One-time codes must never reach a log file: whoever reads the logs could log in as the
 * citizen. Senders name their secrets explicitly (SmsMessage.secrets); as a second line of defence every
 * standalone run of 5–8 digits is masked too — that catches codes a caller forgot to declare, while dates
 * (2-4 digits per group) and phone numbers (11 digits) stay readable for support.
 */
const codeLike = /(?<![\d+])\d{5,8}(?!\d)/g;

export function maskSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('•'.repeat(Math.min(s.length, 8)));
  return out.replace(codeLike, (m) => '•'.repeat(m.length));
}
