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

export async function upsertSubject(trx: Kysely<Database>, s: SubjectRow): Promise<void> {
  await trx
    .insertInto('subjects')
    .values({ iin: s.iin, surname: s.surname, given_name: s.givenName, patronymic: s.patronymic ?? null, email: s.email ?? null })
    .onConflict((oc) =>
      oc.column('iin').doUpdateSet({
        surname: (eb) => eb.ref('excluded.surname'),
        given_name: (eb) => eb.ref('excluded.given_name'),
        patronymic: (eb) => eb.ref('excluded.patronymic'),
        // An issuance without an address keeps the one we have.
        email: sql`coalesce(excluded.email, subjects.email)`,
        updated_at: sql`now()`,
      }),
    )
    .execute();
}
