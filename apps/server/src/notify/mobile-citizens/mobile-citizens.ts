/**
 * The mobile-citizens registry (БМГ) behind one small interface, so a real registry service can replace
 * the default — our own table, filled from the registry's CSV by `qoltanba registry import`. The notifier
 * asks at delivery time (not when the reminder is created), so a number changed in between is the one used.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import type { E164 } from '../phone.ts';

export interface MobileCitizenEntry {
  readonly iin: string;
  readonly phone: E164;
  /** The registry confirmed the number is the person's. Only verified numbers get reminders. */
  readonly verified: boolean;
  /** When it was confirmed (YYYY-MM-DD), when the registry says. */
  readonly verifiedOn: string | undefined;
}

export interface MobileCitizens {
  /** The entries of those IINs the registry has; IINs it does not know are simply absent from the map. */
  lookup(iins: readonly string[]): Promise<ReadonlyMap<string, MobileCitizenEntry>>;
}

/** The default adapter: the mobile_registry table (migration 0007). */
export class DatabaseMobileCitizens implements MobileCitizens {
  constructor(private readonly db: Kysely<Database>) {}

  async lookup(iins: readonly string[]): Promise<ReadonlyMap<string, MobileCitizenEntry>> {
    const found = new Map<string, MobileCitizenEntry>();
    if (iins.length === 0) return found;
    const rows = await this.db
      .selectFrom('mobile_registry')
      .select(['iin', 'phone', 'verified', 'verified_on'])
      .where('iin', 'in', [...new Set(iins)])
      .execute();
    for (const r of rows) {
      found.set(r.iin, { iin: r.iin, phone: r.phone as E164, verified: r.verified, verifiedOn: r.verified_on ? isoDay(r.verified_on) : undefined });
    }
    return found;
  }
}

/** `pg` reads a date column as local midnight: format it back in local time, not UTC. */
function isoDay(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}
