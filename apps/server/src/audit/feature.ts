/**
 * Audit checkpoints as a server feature (audit/README.md):
 *  - worker nodes: a cluster job signs a checkpoint of the chain's head every `audit.checkpointEveryMinutes`,
 *    once for the cluster, and appends it to this node's file;
 *  - every node: when it stops, it signs one more (what it wrote last is covered) and appends it; at start,
 *    when it signs, and before serving the file, it takes up the checkpoints other nodes signed;
 *  - status nodes: GET /audit/checkpoints serves this node's file, GET /audit/checkpoint-key.pem the key's
 *    public half (check it against the copy you keep: the checkpoints are only as good as the key you trust).
 * Listed right after the jobs feature, so it stops after every other feature: the shutdown checkpoint comes
 * after their last audit entries.
 */
import { existsSync, readFileSync } from 'node:fs';
import { toPem } from '@qoltanba/pki';
import type { Feature, ServerContext } from '../context.ts';
import { clusterJobs, cronableMinutes } from '../jobs/feature.ts';
import { CheckpointFile, checkpointFilePath } from './checkpoints/file.ts';
import { activeAuditKey, signCheckpoint } from './checkpoints/sign.ts';

export const CHECKPOINT_JOB = 'qoltanba-audit-checkpoint';

/** Signs a checkpoint of the head now (unless nothing happened since the last one) and appends it to `file`. */
export async function checkpointNow(ctx: ServerContext, file: CheckpointFile): Promise<string | undefined> {
  const key = await activeAuditKey(ctx.store.db);
  await file.catchUp(ctx.store.db, key);
  const signed = await signCheckpoint(ctx.store.db, ctx.signers);
  if (signed) file.append([signed.line]);
  return signed?.line;
}

export const auditFeature: Feature = {
  name: 'audit',
  roles: ['portal', 'api', 'status', 'worker'],
  async start(app, ctx) {
    const file = new CheckpointFile(checkpointFilePath(ctx.config.home));
    const catchUp = async () => file.catchUp(ctx.store.db, await activeAuditKey(ctx.store.db));
    // A node that cannot take up the others' checkpoints now still serves; its file catches up later.
    await catchUp().catch((err: unknown) => ctx.log.warn({ err }, 'audit: could not take up the checkpoints of other nodes'));

    if (ctx.config.roles.includes('status')) {
      app.get('/audit/checkpoints', async (_req, reply) => {
        await catchUp().catch((err: unknown) => ctx.log.warn({ err }, 'audit: could not take up the checkpoints of other nodes'));
        const body = existsSync(file.path) ? readFileSync(file.path) : Buffer.alloc(0);
        return reply.header('content-type', 'application/x-ndjson; charset=utf-8').header('cache-control', 'no-store').send(body);
      });
      app.get('/audit/checkpoint-key.pem', async (_req, reply) => {
        const key = await activeAuditKey(ctx.store.db);
        return reply.header('content-type', 'application/x-pem-file').send(toPem('PUBLIC KEY', key.publicKey));
      });
    }

    const jobs = clusterJobs(ctx);
    const stopJob = jobs
      ? await jobs.periodic({ name: CHECKPOINT_JOB, everyMinutes: cronableMinutes(ctx.config.audit.checkpointEveryMinutes), run: () => checkpointNow(ctx, file) })
      : async () => undefined;
    return async () => {
      await stopJob();
      await checkpointNow(ctx, file).catch((err: unknown) => ctx.log.error({ err }, 'audit: the shutdown checkpoint could not be signed'));
    };
  },
};
