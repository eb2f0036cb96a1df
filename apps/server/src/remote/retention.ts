/**
 * The sweep every portal node runs (deleting what is due is the same work whoever does it first):
 *  - open remote applications past their expiry are closed ('expired'; a waiting face check is withdrawn);
 *  - captured face frames older than the retention setting are deleted — decided or not — and their check
 *    marked images_deleted_at; a check still waiting then can never be judged, so it is withdrawn;
 *  - frames of failed and withdrawn checks are deleted at once (nobody will ever look at them);
 *  - start records (the per-address and per-IIN limits) older than two days, and stale claims, go.
 * The audit log gets counts only, never an image or anything derived from one.
 */
import { sql, type Kysely } from 'kysely';
import { appendAudit } from '../audit/index.ts';
import type { Database } from '../store/schema.ts';
import { loadRemote, OPEN_STATES, moveRemote } from './store.ts';
import { remoteDb } from './tables.ts';

export interface SweepReport {
  expired: number;
  imagesDeleted: number;
  checksPurged: number;
  withdrawn: number;
  startsDeleted: number;
}

export async function sweepRemote(db: Kysely<Database>, now: Date, o: { imageRetentionMs: number; batch?: number }): Promise<SweepReport> {
  const rdb = remoteDb(db);
  const batch = o.batch ?? 200;
  let expired = 0;
  const due = await rdb
    .selectFrom('applications as a')
    .innerJoin('remote_applications as r', 'r.application_id', 'a.id')
    .select('a.id')
    .where('a.state', 'in', [...OPEN_STATES])
    .where('a.expires_at', '<=', now)
    .limit(batch)
    .execute();
  for (const { id } of due) {
    await db.transaction().execute(async (trx) => {
      const r = await loadRemote(trx, id, { forUpdate: true });
      if (!OPEN_STATES.includes(r.state) || r.expiresAt > now) return;
      await moveRemote(trx, r, r.state, 'expired', now, { actor: 'system:remote', reason: 'not completed in time' });
      expired++;
    });
  }

  const before = new Date(now.getTime() - o.imageRetentionMs);
  const { checksPurged, imagesDeleted, withdrawn } = await db.transaction().execute(async (trx) => {
    const t = remoteDb(trx);
    const old = await t
      .selectFrom('remote_face_checks')
      .select(['id', 'state', 'application_id'])
      .where('images_deleted_at', 'is', null)
      .where((eb) => eb.or([eb('created_at', '<', before), eb('state', 'in', ['failed', 'withdrawn'])]))
      .orderBy('created_at')
      .limit(batch)
      .forUpdate()
      .execute();
    if (old.length === 0) return { checksPurged: 0, imagesDeleted: 0, withdrawn: 0 };
    const ids = old.map((c) => c.id);
    const deleted = await t.deleteFrom('remote_face_images').where('check_id', 'in', ids).executeTakeFirst();
    await t.updateTable('remote_face_checks').set({ images_deleted_at: now }).where('id', 'in', ids).execute();
    const pending = old.filter((c) => c.state === 'pending').map((c) => c.id);
    if (pending.length) await t.updateTable('remote_face_checks').set({ state: 'withdrawn', claimed_by: null, claimed_until: null }).where('id', 'in', pending).execute();
    const images = Number(deleted.numDeletedRows);
    await appendAudit(trx, {
      actor: 'system:remote',
      action: 'face-images.purged',
      details: { checks: ids.length, images, withdrawnUndecided: pending.length, olderThan: before.toISOString(), retentionHours: o.imageRetentionMs / 3_600_000 },
    });
    return { checksPurged: ids.length, imagesDeleted: images, withdrawn: pending.length };
  });

  const starts = await rdb.deleteFrom('remote_starts').where('at', '<', new Date(now.getTime() - 2 * 86_400_000)).executeTakeFirst();
  await sql`DELETE FROM remote_claims c USING applications a WHERE a.id = c.application_id AND (a.state NOT IN ('submitted', 'verified', 'approved') OR c.created_at < ${new Date(now.getTime() - 86_400_000)})`.execute(db);
  return { expired, imagesDeleted, checksPurged, withdrawn, startsDeleted: Number(starts.numDeletedRows) };
}
