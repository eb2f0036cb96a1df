/**
 * Kysely types of the population registry's default table (migration 0011_remote_issuance.sql holds the
 * constraints). Added with `populationDb(db)` (Kysely's withTables), as the portal does for its tables.
 */
import type { ColumnType, Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** date: written as 'YYYY-MM-DD'; read back through to_char (pg would make it local midnight). */
type Day = ColumnType<Date, string, string>;

export type PersonStatus = 'alive' | 'deceased' | 'blocked';
export type DocumentType = 'id_card' | 'passport';
export type PhotoType = 'image/jpeg' | 'image/png';

export interface PopulationPersonsTable {
  iin: string;
  surname: string;
  given_name: string;
  patronymic: string | null;
  birth_date: Day;
  status: PersonStatus;
  document_type: DocumentType;
  document_number: string;
  document_issued_on: Day;
  document_expires_on: Day;
  photo: ColumnType<Buffer | null, Buffer | null, Buffer | null>;
  photo_type: PhotoType | null;
  source: string;
  import_id: string;
  updated_at: DefaultedTimestamp;
}

export type PopulationTables = {
  population_persons: PopulationPersonsTable;
};

export function populationDb(db: Kysely<Database>): Kysely<Database & PopulationTables> {
  return db.withTables<PopulationTables>();
}
