/**
 * The notifier logs through a pino-shaped interface (fields first, then the message), so the server can pass
 * its Fastify/pino logger as is. Transports never put passwords, tokens or one-time codes into `fields`.
 */
export interface NotifyLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export const silentLog: NotifyLog = { info() {}, warn() {}, error() {} };

/** One human-readable line per record ("INFO sms sink to=+7*******4567 …"), for development consoles. */
export function lineLog(write: (line: string) => void = (line) => process.stderr.write(line + '\n')): NotifyLog {
  const emit = (level: string) => (fields: Record<string, unknown>, message: string) => {
    const kv = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
      .join(' ');
    write(`${level} ${message}${kv ? ' ' + kv : ''}`);
  };
  return { info: emit('INFO'), warn: emit('WARN'), error: emit('ERROR') };
}
