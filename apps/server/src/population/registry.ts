/**
 * The population registry (ГБД ФЛ) behind one small interface: IIN → name, birth date, status, identity
 * document and the reference photo the face check compares against. The default is our own table, filled
 * from the registry's export by `qoltanba population import` (CSV + photo files); a deployment connected to
 * the state service implements PopulationRegistry over it and passes it to the remote-issuance feature.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { populationDb, type DocumentType, type PersonStatus, type PhotoType } from './tables.ts';

export interface IdentityDocument {
  readonly type: DocumentType;
  /** Upper-case, no spaces. */
  readonly number: string;
  /** YYYY-MM-DD. */
  readonly issuedOn: string;
  readonly expiresOn: string;
}

export interface PopulationPerson {
  readonly iin: string;
  readonly surname: string;
  readonly name: string;
  readonly patronymic: string | undefined;
  /** YYYY-MM-DD. */
  readonly birthDate: string;
  readonly status: PersonStatus;
  readonly document: IdentityDocument;
  readonly hasPhoto: boolean;
}

export interface ReferencePhoto {
  readonly mediaType: PhotoType;
  readonly data: Buffer;
}

export interface PopulationRegistry {
  /** The person the registry has under this IIN, or undefined. */
  person(iin: string): Promise<PopulationPerson | undefined>;
  /** The reference photo (the state photo database's), or undefined when there is none. */
  photo(iin: string): Promise<ReferencePhoto | undefined>;
}

/** The default adapter: the population_persons table (migration 0011). */
export class DatabasePopulationRegistry implements PopulationRegistry {
  constructor(private readonly db: Kysely<Database>) {}

  async person(iin: string): Promise<PopulationPerson | undefined> {
    const day = (column: string) => sql<string>`to_char(${sql.ref(column)}, 'YYYY-MM-DD')`;
    const row = await populationDb(this.db)
      .selectFrom('population_persons')
      .select([
        'iin', 'surname', 'given_name', 'patronymic', 'status', 'document_type', 'document_number',
        day('birth_date').as('birth_date'),
        day('document_issued_on').as('issued_on'),
        day('document_expires_on').as('expires_on'),
        sql<boolean>`photo IS NOT NULL`.as('has_photo'),
      ])
      .where('iin', '=', iin)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      iin: row.iin,
      surname: row.surname,
      name: row.given_name,
      patronymic: row.patronymic ?? undefined,
      birthDate: row.birth_date,
      status: row.status,
      document: { type: row.document_type, number: row.document_number, issuedOn: row.issued_on, expiresOn: row.expires_on },
      hasPhoto: row.has_photo,
    };
  }

  async photo(iin: string): Promise<ReferencePhoto | undefined> {
    const row = await populationDb(this.db).selectFrom('population_persons').select(['photo', 'photo_type']).where('iin', '=', iin).executeTakeFirst();
    return row?.photo && row.photo_type ? { mediaType: row.photo_type, data: row.photo } : undefined;
  }
}
