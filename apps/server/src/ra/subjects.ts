/** People, by IIN: each issuance records the name the RA established (names change; the IIN does not). */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

export interface SubjectRow {
  iin: string;
  surname: string;
  givenName: string;
  patronymic: string | undefined;
  email: string | undefined;
}

/**
 * What recording a subject does for an IIN we know: the name the RA established now; an issuance without an address
 * keeps the one we have. Shared by upsertSubject and the issuance's single statement (issue.ts).
 */
export const ON_SUBJECT_CONFLICT = sql`ON CONFLICT (iin) DO UPDATE SET surname = excluded.surname, given_name = excluded.given_name,
  patronymic = excluded.patronymic, email = coalesce(excluded.email, subjects.email), updated_at = now()`;

export async function upsertSubject(trx: Kysely<Database>, s: SubjectRow): Promise<void> {
  await sql`INSERT INTO subjects (iin, surname, given_name, patronymic, email)
    VALUES (${s.iin}, ${s.surname}, ${s.givenName}, ${s.patronymic ?? null}, ${s.email ?? null}) ${ON_SUBJECT_CONFLICT}`.execute(trx);
}
