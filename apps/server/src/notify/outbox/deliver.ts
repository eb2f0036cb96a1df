/**
 * One delivery pass: claim due messages in batches, find where each goes (the mobile-citizens registry for SMS, the
 * person's address for e-mail) and in which language, hand each to its transport (`concurrency` at a time),
 * and record the outcome. Right before a send's first byte goes out, the transport calls back and the
 * "may reach the next hop" record is written (group-committed with the other sends starting then): a crash
 * before it leaves a send known to be unsent, after it only the SMSC's evidence decides (settle.ts).
 * Every step is its own short statement or transaction, so the embedded database's one connection is never
 * held across a network call.
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
import type { MobileCitizens } from '../mobile-citizens/mobile-citizens.ts';
import type { RetryPolicy, UncorrelatedSends } from '../settings.ts';
import type { SendCorrelation, SmsGateway } from '../sms/gateway.ts';
import { DEFAULT_NOTIFY_LANGUAGE, type NotifyChannel, type NotifyLanguage } from '../tables.ts';
import { retryDelayMs } from './backoff.ts';
import { destinationHash } from './destination.ts';
import { markUncertain } from './settle.ts';
import { claimDue, liveCertificates, markFailed, markSent, markSkipped, recordIntents, type Claimed, type Destination, type FailureRecord, type Intent, type SentRecord } from './rows.ts';

export interface DeliveryDeps {
  readonly db: Kysely<Database>;
  /** A channel without a transport is not worked: its messages stay pending (visible in `notify status`). */
  readonly sms: SmsGateway | undefined;
  readonly mail: Mailer | undefined;
  readonly mobileCitizens: MobileCitizens;
  readonly portalUrl: string;
  readonly retry: RetryPolicy;
  readonly leaseMs: number;
  readonly uncorrelatedSends: UncorrelatedSends;
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
  /** Sent, but the answer never came (connection dropped): left for the SMSC's evidence, 'unknown' meanwhile. */
  unknown: number;
}

interface Prepared {
  readonly claimed: Claimed;
  readonly to: string;
  readonly language: NotifyLanguage;
  readonly kind: KeyKind;
  readonly expiresAt: Date;
  readonly name: string | undefined;
  readonly destination: Destination;
}

export async function deliverDue(d: DeliveryDeps, o: { maxBatches?: number } = {}): Promise<DeliveryResult> {
  const channels: NotifyChannel[] = [...(d.sms ? ['sms' as const] : []), ...(d.mail ? ['email' as const] : [])];
  const total: DeliveryResult = { claimed: 0, sent: 0, retried: 0, failed: 0, skipped: 0, unknown: 0 };
  const maxBatches = o.maxBatches ?? Infinity;
  // The next batch is claimed and prepared while this one is being sent, so the transport never idles on
  // the database between batches.
  const nextBatch = async (): Promise<Prepared[] | undefined> => {
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
    const queue = await upcoming;
    if (!queue) break;
    upcoming = batch < maxBatches && !d.stopping?.() ? nextBatch() : undefined;
    const marks = new GroupCommit<SentRecord, boolean>(async (group) => {
      const recorded = await markSent(d.db, group, d.clock());
      return group.map((g) => recorded.has(g.id));
    });
    const intents = new GroupCommit<Intent, number | undefined>(async (group) => {
      const references = await recordIntents(d.db, group);
      return group.map((g) => references.get(g.id));
    });
    await runPool(queue, d.concurrency, async (p) => {
      const outcome = await sendOne(d, p, marks, intents);
      if (outcome !== 'lost') total[outcome]++;
    });
    // Sends do not wait for their record (the next send goes out meanwhile); the batch does.
    await marks.settled();
  }
  return total;
}

/** Thrown by beforeSubmit when the message is no longer ours (its lapsed lease was settled): nothing is sent. */
class NotOurs extends Error {}

async function sendOne(d: DeliveryDeps, p: Prepared, marks: GroupCommit<SentRecord, boolean>, intents: GroupCommit<Intent, number | undefined>): Promise<'sent' | 'retried' | 'failed' | 'unknown' | 'lost'> {
  const c = p.claimed;
  const correlation: SendCorrelation = c.channel === 'sms' ? (d.sms!.correlation ?? 'none') : 'none';
  let intended = false;
  const beforeSubmit = async ({ parts }: { parts: number }) => {
    const reference = await intents.add({ ...p.destination, parts, correlation });
    if (reference === undefined) throw new NotOurs();
    intended = true;
    return { userMessageReference: reference };
  };
  let ids: readonly string[];
  try {
    const reminder = { kind: p.kind, expiresAt: p.expiresAt, portalUrl: d.portalUrl };
    if (c.channel === 'sms') {
      ids = (await d.sms!.send({ to: p.to, text: expiryReminderSms(p.language, reminder), reference: `notify-${c.id}`, beforeSubmit })).messageIds;
    } else {
      await beforeSubmit({ parts: 1 });
      ids = [(await d.mail!.send({ to: p.to, ...expiryReminderEmail(p.language, { ...reminder, ...(p.name && { name: p.name }) }, d.clock()), reference: `notify-${c.id}` })).messageId];
    }
  } catch (e) {
    if (e instanceof NotOurs) {
      d.log.warn({ message: c.id, channel: c.channel }, 'notify: the lease had lapsed and the message was settled meanwhile; not sent');
      return 'lost';
    }
    const failure = describeFailure(e);
    const details = isQtError(e) ? e.details : undefined;
    const accepted = Array.isArray(details?.acceptedMessageIds) ? (details.acceptedMessageIds as string[]) : [];
    if (intended && accepted.length > 0) {
      // Part of it is at the SMSC for certain (the rest refused or perhaps there): it went out — never twice.
      d.log.warn({ message: c.id, channel: c.channel, code: failure.code, error: failure.message }, 'notify: only part of a multi-part SMS was accepted; recorded as sent');
      void marks.add({ id: c.id, attempts: c.attempts, providerIds: accepted }).catch(() => undefined);
      return 'sent';
    }
    if (intended && details?.maybeAccepted === true) {
      const retryAt = new Date(d.clock().getTime() + retryDelayMs(d.retry, c.attempts));
      const result = await markUncertain(d.db, c, { failure, retryAt, uncorrelatedSends: d.uncorrelatedSends, maxAttempts: d.retry.maxAttempts });
      d.log.warn({ message: c.id, channel: c.channel, attempt: c.attempts, code: failure.code, outcome: result, error: failure.message }, 'notify: the next hop may or may not have the reminder');
      return result === 'sent' ? 'sent' : result === 'unknown' ? 'unknown' : result === 'lost' ? 'lost' : result === 'failed' ? 'failed' : 'retried';
    }
    const dead = failure.permanent || c.attempts >= d.retry.maxAttempts;
    const retryAt = dead ? undefined : new Date(d.clock().getTime() + retryDelayMs(d.retry, c.attempts));
    const result = await markFailed(d.db, c, failure, retryAt);
    d.log[dead ? 'error' : 'warn']({ message: c.id, channel: c.channel, attempt: c.attempts, code: failure.code, error: failure.message }, dead ? 'notify: reminder dead-lettered' : 'notify: reminder will be retried');
    return result === 'retry' ? 'retried' : result === 'lost' ? 'lost' : 'failed';
  }
  // Sent. If recording that fails (database gone), it must not count as a failed send — that would send it
  // again at once; the message stays 'sending' and its lapsed lease is settled by settle.ts (by the receipt).
  marks.add({ id: c.id, attempts: c.attempts, providerIds: ids }).then(
    (ok) => ok || d.log.warn({ message: c.id, channel: c.channel }, 'notify: sent, but another worker had taken the message over'),
    (e: unknown) => d.log.error({ message: c.id, channel: c.channel, error: (e as Error).message }, 'notify: sent, but could not record it; the lapsed lease will be settled by the SMSC\'s receipt'),
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
async function prepare(d: DeliveryDeps, claimed: readonly Claimed[]): Promise<{ ready: Prepared[]; skipped: Array<{ id: string; attempts: number; reason: string }> }> {
  const now = d.clock();
  const iins = [...new Set(claimed.map((c) => c.iin))];
  const [live, people, languages, phones] = await Promise.all([
    liveCertificates(d.db, claimed.map((c) => c.id), now),
    d.db.selectFrom('subjects').select(['iin', 'email', 'surname', 'given_name', 'patronymic']).where('iin', 'in', iins).execute(),
    d.db.selectFrom('notify_preferences').select(['iin', 'language']).where('iin', 'in', iins).execute(),
    claimed.some((c) => c.channel === 'sms') ? d.mobileCitizens.lookup(iins) : Promise.resolve(new Map()),
  ]);
  const person = new Map(people.map((p) => [p.iin, p]));
  const language = new Map(languages.map((l) => [l.iin, l.language]));
  const ready: Prepared[] = [];
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
      claimed: c,
      to,
      language: lang,
      kind: certs.kind,
      expiresAt: certs.expiresAt!,
      name: p ? displayName(p.given_name, p.patronymic) : undefined,
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
 * Group commit: every item that arrives while a group is being committed goes into the next one, and the
 * callers go on meanwhile. Used for the "may reach the next hop" records (a send waits for its own) and the
 * "sent" records (a send does not wait; the batch does, at the end). A crash leaves at most the items of one
 * commit and what queued behind it unwritten, at a fraction of the commits one per message would cost.
 */
class GroupCommit<T, R> {
  #queue: Array<{ item: T; done: (r: R) => void; fail: (e: unknown) => void }> = [];
  #running: Promise<void> | undefined;

  constructor(private readonly commit: (group: T[]) => Promise<R[]>) {}

  add(item: T): Promise<R> {
    return new Promise((done, fail) => {
      this.#queue.push({ item, done, fail });
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
        const results = await this.commit(group.map((g) => g.item));
        group.forEach((g, i) => g.done(results[i]!));
      } catch (e) {
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
