/**
 * DEMO ONLY (`qoltanba up --demo`): the SMS gateway of the demonstration installation. Its people are made up
 * (NCA test IINs, demo numbers), so instead of sending it records each message in the `demo_sms` table —
 * which /demo/sms shows, whichever process sent it — and prints it in the terminal that runs the server,
 * code included: seeing the code is the point of a demo. createSmsGateway gives it only to a server started
 * with --demo, and never in production.
 */
import type { ColumnType, Generated, Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { normalizeKzPhone } from '../phone.ts';
import type { SmsGateway, SmsMessage, SmsSendResult } from './gateway.ts';
import { planSms } from './segments.ts';

export interface DemoSmsConfig {
  readonly type: 'demo';
  readonly maxParts?: number;
}

export interface DemoSmsTable {
  id: Generated<string>;
  phone: string;
  text: string;
  sent_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export type DemoSmsTables = { demo_sms: DemoSmsTable };

export function demoSmsDb(db: Kysely<Database>): Kysely<Database & DemoSmsTables> {
  return db.withTables<DemoSmsTables>();
}

export interface DemoSmsMessage {
  readonly phone: string;
  readonly text: string;
  readonly sentAt: Date;
}

/** The newest messages the demo gateway recorded, newest first. */
export async function lastDemoSms(db: Kysely<Database>, limit = 20): Promise<DemoSmsMessage[]> {
  const rows = await demoSmsDb(db).selectFrom('demo_sms').select(['phone', 'text', 'sent_at']).orderBy('sent_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => ({ phone: r.phone, text: r.text, sentAt: r.sent_at }));
}

export class DemoSmsGateway implements SmsGateway {
  readonly #db: Kysely<Database>;
  readonly #print: (line: string) => void;
  readonly #maxParts: number;

  constructor(db: Kysely<Database>, config: DemoSmsConfig = { type: 'demo' }, print: (line: string) => void = (line) => process.stdout.write(line)) {
    this.#db = db;
    this.#print = print;
    this.#maxParts = config.maxParts ?? 10;
  }

  async send(message: SmsMessage): Promise<SmsSendResult> {
    const to = normalizeKzPhone(message.to);
    const parts = planSms(message.text, this.#maxParts).parts.length;
    await message.beforeSubmit?.({ parts, to });
    const row = await demoSmsDb(this.#db).insertInto('demo_sms').values({ phone: to, text: message.text }).returning('id').executeTakeFirstOrThrow();
    this.#print(`\n  SMS (demo, not sent) to ${to}:\n    ${message.text.replace(/\n/g, '\n    ')}\n\n`);
    return { messageIds: [`demo-${row.id}`], parts, to };
  }

  async close(): Promise<void> {}
}
