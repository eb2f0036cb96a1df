/**
 * What the verification service trusts: presets (this installation's own CA, NCA production, NCA test),
 * plus anchor and intermediate files from the configuration. The local CA comes from the CA registry
 * (`cas`: roots are anchors, issuing CAs intermediates), re-read at most once a minute so a new issuing CA
 * is seen without a restart.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QtError, derFrom, inspectCertificate, isPem, parsePemBlocks, toBytes, type Bytes } from '@qoltanba/pki';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { ResolvedVerifyOptions, TrustPreset } from './options.ts';

export interface TrustSet {
  anchors: Bytes[];
  intermediates: Bytes[];
}

export interface TrustStore extends TrustSet {
  /** Subjects of the anchors, for /api/v1/verify's description and logs. */
  describe(): { presets: TrustPreset[]; anchors: string[]; intermediates: number };
}

const PRESETS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'trust');

/** Every certificate in a file: the CERTIFICATE blocks of a PEM bundle, or the one DER/base64 certificate. */
export function readCertificateFile(path: string): Bytes[] {
  if (!existsSync(path)) throw new QtError('QT_ERR_INPUT_INVALID', `No such certificate file: ${path}`);
  const data = toBytes(readFileSync(path));
  if (isPem(data)) {
    const blocks = parsePemBlocks(new TextDecoder().decode(data)).filter((b) => b.label === 'CERTIFICATE');
    if (blocks.length === 0) throw new QtError('QT_ERR_PEM_MALFORMED', `${path} holds no CERTIFICATE block`);
    return blocks.map((b) => b.der);
  }
  return [derFrom(data)];
}

function certificatesIn(dir: string): Bytes[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.(crt|cer|pem)$/.test(f))
    .sort()
    .flatMap((f) => readCertificateFile(join(dir, f)));
}

/** A built-in preset other than `local`. */
export function presetTrust(preset: Exclude<TrustPreset, 'local'>): TrustSet {
  const dir = join(PRESETS_DIR, preset);
  return { anchors: certificatesIn(dir), intermediates: certificatesIn(join(dir, 'intermediates')) };
}

/** The local CA as published in a data directory (`<home>/ca/*.crt`): self-issued ones are anchors. */
export function homeCaTrust(home: string): TrustSet {
  return splitBySelfIssued(certificatesIn(join(home, 'ca')));
}

/** The local CA from the CA registry: roots are anchors, issuing CAs intermediates. */
export async function registryTrust(db: Kysely<Database>): Promise<TrustSet> {
  const rows = await db.selectFrom('cas').select(['kind', 'certificate', 'status']).orderBy('id').execute();
  const live = rows.filter((r) => r.status !== 'revoked');
  return {
    anchors: live.filter((r) => r.kind === 'root').map((r) => new Uint8Array(r.certificate)),
    intermediates: live.filter((r) => r.kind !== 'root').map((r) => new Uint8Array(r.certificate)),
  };
}

function splitBySelfIssued(certs: Bytes[]): TrustSet {
  const out: TrustSet = { anchors: [], intermediates: [] };
  for (const c of certs) (inspectCertificate(c).selfIssued ? out.anchors : out.intermediates).push(c);
  return out;
}

export function fileTrust(options: ResolvedVerifyOptions['trust']): TrustSet {
  return { anchors: options.anchors.flatMap(readCertificateFile), intermediates: options.intermediates.flatMap(readCertificateFile) };
}

export function combine(presets: readonly TrustPreset[], sets: readonly TrustSet[]): TrustStore {
  const anchors = sets.flatMap((s) => s.anchors);
  const intermediates = sets.flatMap((s) => s.intermediates);
  return {
    anchors,
    intermediates,
    describe: () => ({ presets: [...presets], anchors: anchors.map((a) => inspectCertificate(a).subject.display), intermediates: intermediates.length }),
  };
}

/** The trust store of a running service: fixed parts read once, the local CA re-read at most every `refreshMs`. */
export function trustStoreLoader(options: ResolvedVerifyOptions['trust'], local: () => Promise<TrustSet>, refreshMs = 60_000): () => Promise<TrustStore> {
  const fixed = [...options.presets.filter((p): p is Exclude<TrustPreset, 'local'> => p !== 'local').map(presetTrust), fileTrust(options)];
  let cached: { store: TrustStore; at: number } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < refreshMs) return cached.store;
    const sets = options.presets.includes('local') ? [await local(), ...fixed] : fixed;
    cached = { store: combine(options.presets, sets), at: Date.now() };
    return cached.store;
  };
}
