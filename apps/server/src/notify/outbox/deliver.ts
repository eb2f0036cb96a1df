/**
 * One delivery pass: claim due messages in batches, find where each goes (the mobile registry for SMS, the
 * person's address for e-mail) and in which language, record that, hand each to its transport (`concurrency`
 * at a time), and record the outcome. Every step is its own short statement or transaction, so the embedded
 * database's one connection is never held across a network call.
 */
import type { Kysely } from 'kysely';
import { isQtError } from '@qoltanba/pki';
import type { Database } from '../../store/schema.ts';
import { isPermanentFailure } from '../failure.ts';
import type { NotifyLog } from '../log.ts';
import type { Mailer } from '../mail/mailer.ts';
import { maskEmail } from '../mail/mailer.ts';
import { expiryReminderEmail, expiryReminderSms, type KeyKind } from '../messages.ts';
import { maskPhone } from '../phone.ts';
import type { MobileRegistry } from '../registry/mobile-registry.ts';
import type { RetryPolicy } from '../settings.ts';
import type { SmsGateway } from '../sms/gateway.ts';
import { DEFAULT_NOTIFY_LANGUAGE, type NotifyChannel, type NotifyLanguage } from '../tables.ts';
import { retryDelayMs } from './backoff.ts';
import { destinationHash } from './destination.ts';
import { claimDue, liveCertificates, markFailed, markSent, markSkipped, recordDestinations, type Claimed, type Destination, type FailureRecord, type SentRecord } from './rows.ts';

export interface DeliveryDeps {
  readonly db: Kysely<Database>;
  /** A channel without a transport is not worked: its messages stay pending (visible in `notify status`). */
  readonly sms: SmsGateway | undefined;
  readonly mail: Mailer | undefined;
  readonly registry: MobileRegistry;
  readonly portalUrl: string;
  readonly retry: RetryPolicy;
  readonly leaseMs: number;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly log: NotifyLog;
  readonly clock: () => Date;
  /** Stop claiming more (shutdown); what is in flight is finished and recorded. */
  readonly stopping?: () => boolean;
}

export interface DeliveryResult {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
  skipped: number;
}

interface Prepared {
  readonly claimed: Claimed;
  readonly to: string;
  readonly language: NotifyLanguage;
  readonly kind: KeyKind;
  readonly expiresAt: Date;
  readonly name: string | undefined;
}

export async function deliverDue(d: DeliveryDeps, o: { maxBatches?: number } = {}): Promise<DeliveryResult> {
  const channels: NotifyChannel[] = [...(d.sms ? ['sms' as const] : []), ...(d.mail ? ['email' as const] : [])];
  const total: DeliveryResult = { claimed: 0, sent: 0, retried: 0, failed: 0, skipped: 0 };
  const maxBatches = o.maxBatches ?? Infinity;
  // The next batch is claimed and prepared while this one is being sent, so the transport never idles on
  // the database between batches.
  const nextBatch = async (): Promise<Array<{ prepared: Prepared; destination: Destination }> | undefined> => {
    const claimed = await claimDue(d.db, { now: d.clock(), leaseMs: d.leaseMs, limit: d.batchSize, channels });
    if (claimed.length === 0) return undefined;
    total.claimed += claimed.length;
    const { ready, skipped } = await prepare(d, claimed);
    await markSkipped(d.db, skipped);
    total.skipped += skipped.length;
    return ready;
  };
  let upcoming = d.stopping?.() || maxBatches < 1 ? undefined : nextBatch();
  for (let batch = 1; upcoming; batch++) {
    const ready = await upcoming;
    if (!ready) break;
    // Destinations are recorded only now, right before this batch's sends: a prefetched batch cut short by a
    // crash has none, and is known to be unsent.
    const ours = await recordDestinations(d.db, ready.map((p) => p.destination));
    const queue = ready.filter((p) => ours.has(p.prepared.claimed.id)).map((p) => p.prepared);
    upcoming = batch < maxBatches && !d.stopping?.() ? nextBatch() : undefined;
    const marks = new SentMarks(d);
    await runPool(queue, d.concurrency, async (p) => {
      const outcome = await sendOne(d, p, marks);
      total[outcome]++;
    });
    // Sends do not wait for their record (the next send goes out meanwhile); the batch does.
    await marks.settled();
  }
  return total;
}

async function sendOne(d: DeliveryDeps, p: Prepared, marks: SentMarks): Promise<'sent' | 'retried' | 'failed'> {
  const c = p.claimed;
  let ids: readonly string[];
  try {
    const reminder = { kind: p.kind, expiresAt: p.expiresAt, portalUrl: d.portalUrl };
    ids =
      c.channel === 'sms'
        ? (await d.sms!.send({ to: p.to, text: expiryReminderSms(p.language, reminder), reference: `notify-${c.id}` })).messageIds
        : [(await d.mail!.send({ to: p.to, ...expiryReminderEmail(p.language, { ...reminder, ...(p.name && { name: p.name }) }, d.clock()), reference: `notify-${c.id}` })).messageId];
  } catch (e) {
    const failure = describeFailure(e);
    const dead = failure.permanent || c.attempts >= d.retry.maxAttempts;
    const retryAt = dead ? undefined : new Date(d.clock().getTime() + retryDelayMs(d.retry, c.attempts));
    const result = await markFailed(d.db, c, failure, retryAt);
    d.log[dead ? 'error' : 'warn']({ message: c.id, channel: c.channel, attempt: c.attempts, code: failure.code, error: failure.message }, dead ? 'notify: reminder dead-lettered' : 'notify: reminder will be retried');
    return result === 'retry' ? 'retried' : 'failed';
  }
  // Sent. If recording that fails (database gone), it must not count as a failed send — that would send it
  // again at once; the message stays 'sending' and its lapsed lease is settled by lapsed.ts.
  marks.sent({ id: c.id, attempts: c.attempts, providerIds: ids }).then(
    (ok) => ok || d.log.warn({ message: c.id, channel: c.channel }, 'notify: sent, but the lease had lapsed and another worker took the message over'),
    (e: unknown) => d.log.error({ message: c.id, channel: c.channel, error: (e as Error).message }, 'notify: sent, but could not record it; the lapsed lease will settle it'),
  );
  return 'sent';
}

function describeFailure(e: unknown): FailureRecord {
  const permanent = isPermanentFailure(e);
  if (isQtError(e)) {
    const name = e.details?.commandStatusName;
    const reply = e.details?.responseCode;
    const extra = [name, reply].filter((x) => x !== undefined).join(' ');
    return { code: e.code, message: extra && !e.message.includes(String(name ?? reply)) ? `${e.message} (${extra})` : e.message, permanent };
  }
  return { code: 'QT_ERR_INTERNAL', message: e instanceof Error ? e.message : String(e), permanent: false };
}

/** Destination, language and text inputs for each claimed message, or why it is skipped. */
async function prepare(d: DeliveryDeps, claimed: readonly Claimed[]): Promise<{ ready: Array<{ prepared: Prepared; destination: Destination }>; skipped: Array<{ id: string; attempts: number; reason: string }> }> {
  const now = d.clock();
  const iins = [...new Set(claimed.map((c) => c.iin))];
  const [live, people, languages, phones] = await Promise.all([
    liveCertificates(d.db, claimed.map((c) => c.id), now),
    d.db.selectFrom('subjects').select(['iin', 'email', 'surname', 'given_name', 'patronymic']).where('iin', 'in', iins).execute(),
    d.db.selectFrom('notify_preferences').select(['iin', 'language']).where('iin', 'in', iins).execute(),
    claimed.some((c) => c.channel === 'sms') ? d.registry.lookup(iins) : Promise.resolve(new Map()),
  ]);
  const person = new Map(people.map((p) => [p.iin, p]));
  const language = new Map(languages.map((l) => [l.iin, l.language]));
  const ready: Array<{ prepared: Prepared; destination: Destination }> = [];
  const skipped: Array<{ id: string; attempts: number; reason: string }> = [];
  for (const c of claimed) {
    const certs = live.get(c.id)!;
    if (!certs.kind) {
      skipped.push({ id: c.id, attempts: c.attempts, reason: 'no_live_certificate' });
      continue;
    }
    let to: string;
    let masked: string;
    if (c.channel === 'sms') {
      const entry = phones.get(c.iin);
      if (!entry) {
        skipped.push({ id: c.id, attempts: c.attempts, reason: 'not_in_registry' });
        continue;
      }
      if (!entry.verified) {
        skipped.push({ id: c.id, attempts: c.attempts, reason: 'number_not_verified' });
        continue;
      }
      to = entry.phone;
      masked = maskPhone(to);
    } else {
      const email = person.get(c.iin)?.email;
      if (!email) {
        skipped.push({ id: c.id, attempts: c.attempts, reason: 'no_email' });
        continue;
      }
      to = email;
      masked = maskEmail(to);
    }
    const lang = language.get(c.iin) ?? DEFAULT_NOTIFY_LANGUAGE;
    const p = person.get(c.iin);
    ready.push({
      prepared: { claimed: c, to, language: lang, kind: certs.kind, expiresAt: certs.expiresAt!, name: p ? displayName(p.given_name, p.patronymic) : undefined },
      destination: { id: c.id, attempts: c.attempts, masked, hash: destinationHash(to), language: lang },
    });
  }
  return { ready, skipped };
}

/** "АСАН" / "ASAN" as registered → "Асан": the DN's capitals read as shouting in a letter. */
function displayName(given: string, patronymic: string | null): string {
  const cap = (w: string) => w.charAt(0).toLocaleUpperCase('kk-KZ') + w.slice(1).toLocaleLowerCase('kk-KZ');
  return [given, patronymic].filter((x): x is string => Boolean(x)).map((part) => part.split(/([\s-])/).map(cap).join('')).join(' ');
}

/**
 * Group commit of "sent" records: every record that arrives while a group is being committed goes into the
 * next one, and sending goes on meanwhile. A crash leaves at most the records of one commit and what queued
 * behind it unwritten (lapsed.ts settles those), at a fraction of the commits one per message would cost.
 */
class SentMarks {
  #queue: Array<{ record: SentRecord; done: (ok: boolean) => void; fail: (e: unknown) => void }> = [];
  #running: Promise<void> | undefined;

  constructor(private readonly d: DeliveryDeps) {}

  sent(record: SentRecord): Promise<boolean> {
    return new Promise((done, fail) => {
      this.#queue.push({ record, done, fail });
      this.#running ??= this.#drain();
    });
  }

  async settled(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const group = this.#queue.splice(0);
      try {
        const recorded = await markSent(this.d.db, group.map((g) => g.record), this.d.clock());
        for (const g of group) g.done(recorded.has(g.record.id));
      } catch (e) {
        // The messages stay 'sending'; their lease lapses and lapsed.ts settles them (receipt or resend).
        for (const g of group) g.fail(e);
      }
    }
    this.#running = undefined;
  }
}

async function runPool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
