/**
 * Time-stamp serial numbers (RFC 3161 §2.4.2: unique per TSA, up to 160 bits): <prefix><counter>, the
 * prefix taken from a database sequence when the TSA starts in this process, the counter counted in
 * memory. Unique across processes, nodes and restarts by construction, with no database round trip
 * per stamp; a serial also says which process issued it, which the audit tally records (tally.ts).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

export class SerialSource {
  readonly prefix: bigint;
  #counter = 0n;

  private constructor(prefix: bigint) {
    this.prefix = prefix;
  }

  static async open(db: Kysely<Database>): Promise<SerialSource> {
    const { rows } = await sql<{ prefix: string }>`SELECT nextval('tsa_serial_prefix')::text AS prefix`.execute(db);
    return new SerialSource(BigInt(rows[0]!.prefix));
  }

  /** The next serial: 8 bytes of prefix and 8 of counter, big-endian (a positive INTEGER of at most 16 bytes). */
  next(): { bytes: Uint8Array; hex: string } {
    this.#counter += 1n;
    return serialOf(this.prefix, this.#counter);
  }
}

export function serialOf(prefix: bigint, counter: bigint): { bytes: Uint8Array; hex: string } {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, prefix);
  view.setBigUint64(8, counter);
  // The spelling used everywhere for serials: upper-case hex without leading zero bytes.
  const hex = Buffer.from(bytes).toString('hex').toUpperCase().replace(/^(00)+/, '');
  return { bytes, hex };
}
