/**
 * Which CA signs a request: the one named, or else the oldest active issuing CA whose key is of the same
 * family as the subscriber's (an RSA request goes to the RSA CA, a GOST one to the GOST CA).
 */
import type { Kysely } from 'kysely';
import { QtError, inspectCertificate, type CertificateInfo } from '@qoltanba/pki';
import type { Database } from '../store/schema.ts';

export interface IssuingCa {
  id: number;
  name: string;
  keyUri: string;
  certificate: Buffer;
  info: CertificateInfo;
  /** This CA's certificate, then its parent's (the root) when it has one: what a subscriber installs beside its own. */
  chain: Buffer[];
}

/** A `cas` row as `IssuingCas.candidates` selects it. */
export interface CandidateRow {
  id: number;
  name: string;
  kind: string;
  status: string;
  key_uri: string | null;
  certificate: Buffer;
  not_after: Date;
  parent_certificate: Buffer | null;
}

export class IssuingCas {
  // A CA's certificate never changes under its id; parsing it once per process saves a parse per issuance.
  readonly #parsed = new Map<number, { der: Buffer; info: CertificateInfo }>();

  /** `db` is the caller's transaction when there is one (on PGlite the pool's only connection is in it). */
  async resolve(db: Kysely<Database>, name: string | undefined, keyAlgorithm: string, now: Date): Promise<IssuingCa> {
    return this.choose(await this.candidates(db, name).execute(), name, keyAlgorithm, now);
  }

  /** The rows `choose` picks from, as a query a caller may join more to (issuance joins its key check, saving a round trip). */
  candidates(db: Kysely<Database>, name: string | undefined) {
    const query = this.#rows(db);
    return name === undefined ? query.where('cas.kind', '=', 'issuing').where('cas.status', '=', 'active') : query.where('cas.name', '=', name);
  }

  /** Every CA, for a batch of requests naming different ones: `among` then gives each the rows `candidates` would. */
  all(db: Kysely<Database>): Promise<CandidateRow[]> {
    return this.#rows(db).execute();
  }

  /** The columns every caller picks from, the parent's certificate joined for the chain. */
  #rows(db: Kysely<Database>) {
    return db
      .selectFrom('cas')
      .leftJoin('cas as parent', 'parent.id', 'cas.parent_id')
      .select(['cas.id', 'cas.name', 'cas.kind', 'cas.status', 'cas.key_uri', 'cas.certificate', 'cas.not_after', 'parent.certificate as parent_certificate'])
      .orderBy('cas.id');
  }

  /** The rows of `all` that `candidates(db, name)` selects, in its order. */
  among(all: readonly CandidateRow[], name: string | undefined): CandidateRow[] {
    return all.filter((r) => (name === undefined ? r.kind === 'issuing' && r.status === 'active' : r.name === name));
  }

  choose(rows: readonly CandidateRow[], name: string | undefined, keyAlgorithm: string, now: Date): IssuingCa {
    if (name !== undefined && rows.length === 0) throw new QtError('QT_ERR_CA_NOT_FOUND', `There is no CA named "${name}"`, { ca: name });
    const candidates = rows.map((r) => ({ ...r, info: this.#info(r.id, r.certificate) }));
    const row = name === undefined ? candidates.find((c) => c.info.publicKey.algorithm === keyAlgorithm) : candidates[0];
    if (!row) throw new QtError('QT_ERR_CA_NOT_FOUND', `No active issuing CA signs requests for ${keyAlgorithm} keys`, { keyAlgorithm });
    if (row.kind !== 'issuing' || row.status !== 'active' || row.not_after <= now) {
      throw new QtError('QT_ERR_CA_NOT_ISSUING', `CA "${row.name}" does not issue certificates (${row.kind}, ${row.status}${row.not_after <= now ? ', expired' : ''})`, {
        ca: row.name,
      });
    }
    if (!row.key_uri) throw new QtError('QT_ERR_CA_KEY_OFFLINE', `The key of CA "${row.name}" is kept offline`, { ca: row.name });
    return { id: row.id, name: row.name, keyUri: row.key_uri, certificate: row.certificate, info: row.info, chain: row.parent_certificate ? [row.certificate, row.parent_certificate] : [row.certificate] };
  }

  #info(id: number, der: Buffer): CertificateInfo {
    const cached = this.#parsed.get(id);
    if (cached && cached.der.equals(der)) return cached.info;
    const info = inspectCertificate(der);
    this.#parsed.set(id, { der, info });
    return info;
  }
}
