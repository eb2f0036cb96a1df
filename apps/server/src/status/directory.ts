/**
 * The CAs this service speaks for, with their active delegated OCSP signer and the issuer hashes that
 * OCSP certIDs are matched against. Read from `cas` / `ocsp_signers` and kept in memory: the hot path
 * (every OCSP request) must not query them. A CA or signer added by another process is seen at the next
 * reload — every `maxAgeMs`, or sooner when a request names something unknown (at most once per
 * `missReloadMs`, so a stream of garbage cannot turn into a stream of reloads).
 */
import { computeIssuerHashes, hashOids, inspectCertificate, QtError, toHex, type Bytes, type IssuerHashes, type OcspCertId } from '@qoltanba/pki';
import type { Kysely } from 'kysely';
import type { CaKind, CaStatus, Database } from '../store/index.ts';

export interface OcspSignerEntry {
  id: number;
  certificate: Bytes;
  keyUri: string;
  notAfter: Date;
}

export interface CaEntry {
  id: number;
  /** The short name used in URLs. */
  name: string;
  kind: CaKind;
  status: CaStatus;
  parentId: number | null;
  certificate: Bytes;
  subject: string;
  /** Absent for a root whose key is kept offline: it signs no CRL or OCSP response here. */
  keyUri: string | null;
  notBefore: Date;
  notAfter: Date;
  hashes: IssuerHashes;
  ocspSigner: OcspSignerEntry | undefined;
  /** The certificate of the CA's active time-stamping authority, when it has one (served on /tsp/<name>). */
  tsaCertificate: Bytes | undefined;
}

export interface CaDirectoryOptions {
  maxAgeMs?: number;
  missReloadMs?: number;
  now?: () => number;
}

interface Snapshot {
  loadedAt: number;
  byId: Map<number, CaEntry>;
  byName: Map<string, CaEntry>;
  /** hashAlgorithm OID : issuerNameHash hex : issuerKeyHash hex → CA. */
  byIssuerHash: Map<string, CaEntry>;
}

export class CaDirectory {
  readonly #db: Kysely<Database>;
  readonly #maxAgeMs: number;
  readonly #missReloadMs: number;
  readonly #now: () => number;
  #snapshot: Snapshot | undefined;
  #loading: Promise<Snapshot> | undefined;

  constructor(db: Kysely<Database>, options: CaDirectoryOptions = {}) {
    this.#db = db;
    this.#maxAgeMs = options.maxAgeMs ?? 60_000;
    this.#missReloadMs = options.missReloadMs ?? 5_000;
    this.#now = options.now ?? Date.now;
  }

  /** Every CA still answering for its certificates (active or retired), roots included. */
  async all(): Promise<CaEntry[]> {
    return [...(await this.#current()).byId.values()];
  }

  async byId(id: number): Promise<CaEntry> {
    const ca = (await this.#lookup((s) => s.byId.get(id)));
    if (!ca) throw new QtError('QT_ERR_CA_NOT_FOUND', `No active certificate authority has id ${id}`, { id });
    return ca;
  }

  async byName(name: string): Promise<CaEntry> {
    const ca = await this.findByName(name);
    if (!ca) throw new QtError('QT_ERR_CA_NOT_FOUND', `No certificate authority is named "${name}"`, { name: name.slice(0, 64) });
    return ca;
  }

  findByName(name: string): Promise<CaEntry | undefined> {
    return this.#lookup((s) => s.byName.get(name));
  }

  /** The CA whose name and key hashes this certID carries, if we serve it. */
  forCertId(certId: OcspCertId): Promise<CaEntry | undefined> {
    const key = issuerKey(certId.hashAlgorithm, certId.issuerNameHash, certId.issuerKeyHash);
    return this.#lookup((s) => s.byIssuerHash.get(key));
  }

  /**
   * The active OCSP signer of a CA as last loaded, without waiting: the in-memory OCSP answers check it on every
   * hit. A snapshot past its age is still answered from, and a reload starts in the background.
   */
  peekSignerId(caId: number): number | undefined {
    const s = this.#snapshot;
    if (!s || this.#now() - s.loadedAt >= this.#maxAgeMs) void this.#current().catch(() => undefined);
    return s?.byId.get(caId)?.ocspSigner?.id;
  }

  /**
   * A CA as last loaded, without waiting (a snapshot past its age is answered from and reloaded in the background);
   * undefined before the first load. For work inside a transaction (issuance's OCSP pre-signing, ra/batch.ts), which on
   * PGlite holds the only connection a load would need.
   */
  peekById(id: number): CaEntry | undefined {
    const s = this.#snapshot;
    if (!s || this.#now() - s.loadedAt >= this.#maxAgeMs) void this.#current().catch(() => undefined);
    return s?.byId.get(id);
  }

  /** Reloads now (after creating a CA or rotating an OCSP signer in this process). */
  async reload(): Promise<void> {
    this.#snapshot = undefined;
    await this.#current();
  }

  async #lookup<T>(find: (s: Snapshot) => T | undefined): Promise<T | undefined> {
    const snapshot = await this.#current();
    const found = find(snapshot);
    if (found !== undefined || this.#now() - snapshot.loadedAt < this.#missReloadMs) return found;
    this.#snapshot = undefined;
    return find(await this.#current());
  }

  #current(): Promise<Snapshot> {
    const s = this.#snapshot;
    if (s && this.#now() - s.loadedAt < this.#maxAgeMs) return Promise.resolve(s);
    // One load at a time; concurrent callers share it.
    this.#loading ??= this.#load().then(
      (loaded) => {
        this.#snapshot = loaded;
        this.#loading = undefined;
        return loaded;
      },
      (e: unknown) => {
        this.#loading = undefined;
        throw e;
      },
    );
    return this.#loading;
  }

  async #load(): Promise<Snapshot> {
    const loadedAt = this.#now();
    const cas = await this.#db.selectFrom('cas').selectAll().where('status', 'in', ['active', 'retired']).orderBy('id').execute();
    const signers = await this.#db
      .selectFrom('ocsp_signers')
      .select(['id', 'ca_id', 'certificate', 'key_uri', 'not_after'])
      .where('status', '=', 'active')
      .execute();
    const signerOf = new Map(signers.map((s) => [s.ca_id, s]));
    const tsas = await this.#db.selectFrom('tsa_signers').select(['ca_id', 'certificate']).where('status', '=', 'active').execute();
    const tsaOf = new Map(tsas.map((t) => [t.ca_id, new Uint8Array(t.certificate)]));
    const snapshot: Snapshot = { loadedAt, byId: new Map(), byName: new Map(), byIssuerHash: new Map() };
    for (const row of cas) {
      const certificate = new Uint8Array(row.certificate);
      const signer = signerOf.get(row.id);
      const entry: CaEntry = {
        id: row.id,
        name: row.name,
        kind: row.kind,
        status: row.status,
        parentId: row.parent_id,
        certificate,
        subject: inspectCertificate(certificate).subject.display,
        keyUri: row.key_uri,
        notBefore: row.not_before,
        notAfter: row.not_after,
        hashes: await computeIssuerHashes(certificate),
        ocspSigner: signer && { id: signer.id, certificate: new Uint8Array(signer.certificate), keyUri: signer.key_uri, notAfter: signer.not_after },
        tsaCertificate: tsaOf.get(row.id),
      };
      snapshot.byId.set(entry.id, entry);
      snapshot.byName.set(entry.name, entry);
      for (const [hash, h] of Object.entries(entry.hashes)) {
        if (h) snapshot.byIssuerHash.set(issuerKey(hashOids[hash as keyof typeof hashOids], h.nameHash, h.keyHash), entry);
      }
    }
    return snapshot;
  }
}

function issuerKey(hashOid: string, nameHash: Uint8Array, keyHash: Uint8Array): string {
  return `${hashOid}:${toHex(nameHash)}:${toHex(keyHash)}`;
}
