/**
 * The demo's place in a start (start.ts): the data directory decides, not a guess.
 * - `up --demo` on a fresh directory (no CA yet) marks it as a demo before the ceremony, then seeds after it;
 *   on a directory that already is a demo it seeds nothing again (the people, keys and demo.json are there).
 * - `up --demo` on a directory with a real CA is refused (QT_ERR_DEMO_NEEDS_FRESH_HOME): made-up people
 *   never join real ones.
 * - `up` without --demo on a demo directory is refused (QT_ERR_DEMO_DATA_PRESENT): its keys and passwords are
 *   printed in demo.json, so it must never be mistaken for — or quietly turned into — a real installation.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { QtError } from '@qoltanba/pki';
import type { ServerConfig } from '../config.ts';
import type { ServerContext } from '../context.ts';
import { createRa, statusHooksFor } from '../ra/index.ts';
import type { StatusService } from '../status/index.ts';
import type { Database } from '../store/schema.ts';
import { demoMarker, setDemoMarker } from '../system/installation.ts';
import { DEMO_ACTOR, demoFilePath, seedDemo, type DemoFile } from './seed.ts';

export type DemoState = 'none' | 'to-seed' | 'seeded';

/** Runs before the ceremony. */
export async function checkDemoDirectory(db: Kysely<Database>, config: Pick<ServerConfig, 'demo' | 'home'>): Promise<DemoState> {
  const marker = await demoMarker(db);
  if (!config.demo) {
    if (marker || existsSync(demoFilePath(config.home))) {
      throw new QtError(
        'QT_ERR_DEMO_DATA_PRESENT',
        `${config.home} holds demo data made by \`qoltanba up --demo\` (made-up people, key files whose passwords are in demo/demo.json). ` +
          'Start it with --demo, or use another data directory (--home or QOLTANBA_HOME) for real use',
      );
    }
    return 'none';
  }
  if (marker) return marker.state === 'seeded' && existsSync(demoFilePath(config.home)) ? 'seeded' : 'to-seed';
  const ca = await db.selectFrom('cas').select('name').limit(1).executeTakeFirst();
  if (ca) {
    throw new QtError(
      'QT_ERR_DEMO_NEEDS_FRESH_HOME',
      `--demo seeds made-up people and keys, so it starts only on a fresh data directory, and ${config.home} already has a CA (${ca.name}). ` +
        'Use another one, e.g. QOLTANBA_HOME=.qoltanba-demo bash scripts/up.sh --demo',
    );
  }
  await setDemoMarker(db, { state: 'seeding', at: new Date().toISOString() }, DEMO_ACTOR);
  return 'to-seed';
}

/** Runs after the ceremony and the features: seeds when needed, and returns what demo.json says. */
export async function prepareDemo(ctx: ServerContext, status: StatusService, state: DemoState): Promise<DemoFile | undefined> {
  if (state === 'none') return undefined;
  if (state === 'seeded') return JSON.parse(readFileSync(demoFilePath(ctx.config.home), 'utf8')) as DemoFile;
  const ra = createRa(ctx, { hooks: statusHooksFor(status), testMode: true });
  const demo = await seedDemo(ctx, ra);
  await setDemoMarker(ctx.store.db, { state: 'seeded', at: new Date().toISOString() }, DEMO_ACTOR);
  return demo;
}
