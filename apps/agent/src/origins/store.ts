/**
 * The person's answers about web sites, remembered in `<dataDir>/origins.json` (0600): "always" lets a site use
 * the agent without asking again (every signature is still confirmed), "refused" turns it away without asking.
 * "Allow once" is never written here: it lasts while that page stays connected.
 *
 * The running agent and `qoltanba agent origins revoke` share the file, so reads notice a changed file (its
 * modification time and size) and writes go through a temporary file and a rename: a reader never sees half a
 * file, and a revocation takes effect at the site's next request.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export type SiteDecision = 'always' | 'refused';

export interface RememberedSite {
  origin: string;
  decision: SiteDecision;
  /** ISO time of the answer. */
  decidedAt: string;
}

interface StoreFile {
  version: 1;
  sites: RememberedSite[];
}

export class SiteDecisionStore {
  private cache: { stamp: string; sites: Map<string, RememberedSite> } | undefined;

  constructor(readonly path: string) {}

  static inDataDir(dataDir: string): SiteDecisionStore {
    return new SiteDecisionStore(join(dataDir, 'origins.json'));
  }

  private stamp(): string | undefined {
    try {
      const s = statSync(this.path);
      return `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch {
      return undefined;
    }
  }

  private load(): Map<string, RememberedSite> {
    const stamp = this.stamp();
    if (stamp === undefined) return new Map();
    if (this.cache?.stamp === stamp) return this.cache.sites;
    const sites = new Map<string, RememberedSite>();
    try {
      const file = JSON.parse(readFileSync(this.path, 'utf8')) as StoreFile;
      for (const s of file.sites ?? []) {
        if (typeof s?.origin === 'string' && (s.decision === 'always' || s.decision === 'refused')) sites.set(s.origin, s);
      }
    } catch {
      // A damaged file forgets the answers: every site is asked again, none is let in by mistake.
    }
    this.cache = { stamp, sites };
    return sites;
  }

  private save(sites: Map<string, RememberedSite>): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    const file: StoreFile = { version: 1, sites: [...sites.values()].sort((a, b) => a.origin.localeCompare(b.origin)) };
    writeFileSync(tmp, `${JSON.stringify(file, null, 1)}\n`, { mode: 0o600 });
    renameSync(tmp, this.path);
    this.cache = undefined;
  }

  get(origin: string): RememberedSite | undefined {
    return this.load().get(origin);
  }

  list(): RememberedSite[] {
    return [...this.load().values()].sort((a, b) => a.origin.localeCompare(b.origin));
  }

  remember(origin: string, decision: SiteDecision, at: Date = new Date()): void {
    const sites = new Map(this.load());
    sites.set(origin, { origin, decision, decidedAt: at.toISOString() });
    this.save(sites);
  }

  /** Forgets the answer about a site (it will be asked again); false when there was none. */
  forget(origin: string): boolean {
    const sites = new Map(this.load());
    if (!sites.delete(origin)) return false;
    this.save(sites);
    return true;
  }
}
