/**
 * Facts about the installation kept in its database (migration 0012), so that every process agrees on them
 * whatever its own flags and environment say:
 *
 * - the public address: what every certificate (CRL, delta CRL, OCSP, CA issuers, CPS), CRL pointer and
 *   `/api/v1/ca` names. The first start stores the address it was given or derived (from host and port);
 *   from then on a process that would publish another one — started with another PORT, another
 *   QOLTANBA_PUBLIC_URL, the CLI on its defaults — warns and uses the stored one. Only an explicit
 *   `--public-url` (ServerConfig.publicUrlSource 'flag') changes it, and that change is audited.
 * - whether the directory holds demo data (`qoltanba up --demo`, ../demo).
 */
import { sql, type Kysely } from 'kysely';
import { QtError } from '@qoltanba/pki';
import { appendAudit } from '../audit/index.ts';
import type { ServerConfig } from '../config.ts';
import type { Database, DefaultedTimestamp, Jsonb } from '../store/schema.ts';

export interface InstallationSettingsTable {
  name: 'public_url' | 'demo';
  value: Jsonb<unknown>;
  updated_at: DefaultedTimestamp;
}

export type InstallationTables = { installation_settings: InstallationSettingsTable };

export function installationDb(db: Kysely<Database>): Kysely<Database & InstallationTables> {
  return db.withTables<InstallationTables>();
}

/** The public address as written into certificates: an http(s) URL without a trailing slash. */
export function normalizePublicUrl(text: string): string {
  const url = text.trim().replace(/\/+$/, '');
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  // Certificates carry it as an IA5String (ASCII): a non-ASCII host must be given in its punycode form.
  if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || !/^[\x21-\x7e]+$/.test(url) || parsed.search || parsed.hash || parsed.username) {
    throw new QtError('QT_ERR_INPUT_INVALID', `The public URL "${text.slice(0, 200)}" must be an http or https address in ASCII, without query or credentials, e.g. https://pki.example.kz`, { field: 'publicUrl' });
  }
  return url;
}

export interface PublicUrlDecision {
  /** What this process publishes. */
  url: string;
  /** stored: first start; same: agrees with the stored one; kept: another was proposed and ignored; changed: --public-url moved it. */
  outcome: 'stored' | 'same' | 'kept' | 'changed';
  /** What this process's flags, environment or defaults said. */
  proposed: string;
  /** For 'kept': the sentence to warn with. */
  warning?: string;
}

const SOURCE_WORDS: Record<ServerConfig['publicUrlSource'], string> = {
  flag: '--public-url',
  configured: 'server.json or QOLTANBA_PUBLIC_URL',
  derived: 'the host and port this process was started with',
};

/** The stored public address, or undefined before the first start. */
export async function storedPublicUrl(db: Kysely<Database>): Promise<string | undefined> {
  const row = await installationDb(db).selectFrom('installation_settings').select('value').where('name', '=', 'public_url').executeTakeFirst();
  return row ? (row.value as { url: string }).url : undefined;
}

/**
 * Decides this process's public address against the stored one (see the module comment) and records the
 * first one (unless `record` is false: commands that only use the address) or an explicit change, with its
 * audit entry, in one transaction. Safe when several processes start at once: the row is locked, and a
 * first start that loses the race takes the winner's address.
 */
export async function settlePublicUrl(
  db: Kysely<Database>,
  config: Pick<ServerConfig, 'publicUrl' | 'publicUrlSource'>,
  actor: string,
  options: { record?: boolean } = {},
): Promise<PublicUrlDecision> {
  const proposed = normalizePublicUrl(config.publicUrl);
  return db.transaction().execute(async (trx) => {
    const t = installationDb(trx);
    const row = await t.selectFrom('installation_settings').select('value').where('name', '=', 'public_url').forUpdate().executeTakeFirst();
    const stored = row ? (row.value as { url: string }).url : undefined;
    if (stored === undefined && options.record === false) return { url: proposed, outcome: 'same', proposed };
    if (stored === undefined) {
      const inserted = await t
        .insertInto('installation_settings')
        .values({ name: 'public_url', value: JSON.stringify({ url: proposed }) })
        .onConflict((oc) => oc.column('name').doNothing())
        .returning('name')
        .executeTakeFirst();
      if (!inserted) {
        const winner = (await storedPublicUrl(trx)) as string;
        return decide(winner, proposed, config.publicUrlSource);
      }
      await appendAudit(trx, { actor, action: 'installation.public-url.set', target: 'installation:public-url', details: { url: proposed, source: config.publicUrlSource } });
      return { url: proposed, outcome: 'stored', proposed };
    }
    if (stored !== proposed && config.publicUrlSource === 'flag') {
      await t.updateTable('installation_settings').set({ value: JSON.stringify({ url: proposed }), updated_at: sql`now()` }).where('name', '=', 'public_url').execute();
      await appendAudit(trx, { actor, action: 'installation.public-url.changed', target: 'installation:public-url', details: { from: stored, to: proposed } });
      return { url: proposed, outcome: 'changed', proposed };
    }
    return decide(stored, proposed, config.publicUrlSource);
  });
}

function decide(stored: string, proposed: string, source: ServerConfig['publicUrlSource']): PublicUrlDecision {
  if (stored === proposed) return { url: stored, outcome: 'same', proposed };
  return {
    url: stored,
    outcome: 'kept',
    proposed,
    warning:
      `this installation's public address is ${stored} (stored at its first start); ${SOURCE_WORDS[source]} would give ${proposed}, ` +
      `which is not used: certificates, CRLs and OCSP keep pointing at ${stored}, and the portal accepts forms from that origin only. ` +
      `To move the installation, start it once with --public-url ${proposed}`,
  };
}

export interface DemoMarker {
  /** seeding: `up --demo` began on this (fresh) directory; seeded: the demo data and demo.json are complete. */
  state: 'seeding' | 'seeded';
  at: string;
}

export async function demoMarker(db: Kysely<Database>): Promise<DemoMarker | undefined> {
  const row = await installationDb(db).selectFrom('installation_settings').select('value').where('name', '=', 'demo').executeTakeFirst();
  return row ? (row.value as DemoMarker) : undefined;
}

export async function setDemoMarker(db: Kysely<Database>, marker: DemoMarker, actor: string): Promise<void> {
  await db
    .transaction()
    .execute(async (trx) => {
      await installationDb(trx)
        .insertInto('installation_settings')
        .values({ name: 'demo', value: JSON.stringify(marker) })
        .onConflict((oc) => oc.column('name').doUpdateSet({ value: JSON.stringify(marker), updated_at: sql`now()` }))
        .execute();
      await appendAudit(trx, { actor, action: `installation.demo.${marker.state}`, target: 'installation:demo', details: { at: marker.at } });
    });
}
