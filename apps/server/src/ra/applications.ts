/** An issuance may name the application it fulfils; the application must be approved for this person. */
import type { Kysely } from 'kysely';
import { QtError } from '@qoltanba/pki';
import type { Database } from '../store/schema.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function checkApplicationId(id: string | undefined): string | undefined {
  if (id === undefined) return undefined;
  if (!UUID.test(id)) throw new QtError('QT_ERR_INPUT_INVALID', `"${id.slice(0, 64)}" is not an application id (UUID)`, { field: 'applicationId' });
  return id.toLowerCase();
}

export async function checkApplication(trx: Kysely<Database>, id: string, iin: string, bin: string | undefined): Promise<void> {
  // FOR SHARE: the application cannot be cancelled or rejected while this issuance commits.
  const app = await trx.selectFrom('applications').select(['kind', 'state', 'iin', 'bin']).where('id', '=', id).forShare().executeTakeFirst();
  if (!app) throw new QtError('QT_ERR_APPLICATION_NOT_FOUND', `There is no application ${id}`, { applicationId: id });
  const problems: string[] = [];
  if (app.kind === 'revoke') problems.push('it is a revocation application');
  if (app.state !== 'approved') problems.push(`it is ${app.state}, not approved`);
  if (app.iin !== iin || (app.bin ?? undefined) !== bin) problems.push('it was made for another person or organisation');
  if (problems.length) {
    throw new QtError('QT_ERR_APPLICATION_NOT_APPROVED', `Application ${id} cannot be fulfilled: ${problems.join('; ')}`, { applicationId: id, state: app.state });
  }
}
