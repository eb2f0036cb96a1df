/**
 * The CA ceremony: from the reviewable plan (ceremony.json) to keys in their keystore, a self-signed root,
 * issuing CAs under it with their delegated OCSP responders and (when planned) time-stamping authorities,
 * rows in `cas` / `ocsp_signers` / `tsa_signers`, the CA
 * certificates published in `$QOLTANBA_HOME/ca/`, and an audit entry for each step.
 *
 * It is safe to repeat and to interrupt: a CA already in the database is kept; a key that exists (the run
 * died after generating it) is reused rather than replaced; everything for the database is written in one
 * transaction under an advisory lock, so two processes starting at once produce one set of CAs.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type Kysely, type Transaction } from 'kysely';
import {
  QtError,
  encodeDn,
  inspectCertificate,
  issueCaCertificate,
  issueOcspSigningCertificate,
  issueTimeStampingCertificate,
  toPem,
  type Signer,
} from '@qoltanba/pki';
import { openKeyStore, type KeyStore, type KeyStoreConfig } from '@qoltanba/keystore';
import type { Database } from '../store/schema.ts';
import { appendAudit } from '../audit/index.ts';
import { auditKeyFile } from '../audit/checkpoints/file.ts';
import { guardSigner } from '../signer/purpose-guard.ts';
import { caKeyError } from '../signer/in-process.ts';
import { caUrls } from '../status/routes.ts';
import { DEFAULT_AUDIT_KEY, type AuthorityPlan, type CeremonyConfig, type DnAttribute, type KeySpec, type TsaPlan } from './ceremony-config.ts';

/** pg_advisory_xact_lock key for the ceremony ("QTCA"). */
const CEREMONY_LOCK = 0x51544341;

export interface CeremonyInput {
  db: Kysely<Database>;
  keystore: KeyStoreConfig;
  config: CeremonyConfig;
  publicUrl: string;
  /** Where CA certificates are published for people and relying parties (PEM files). */
  home: string;
  now?: Date;
  actor?: string;
}

export interface CaSummary {
  name: string;
  kind: 'root' | 'issuing';
  subject: string;
  serial: string;
  notAfter: Date;
  keyUri: string | null;
  created: boolean;
}

export async function runCeremony(input: CeremonyInput): Promise<CaSummary[]> {
  const now = input.now ?? new Date();
  const actor = input.actor ?? 'system:ceremony';
  const base = input.publicUrl.replace(/\/+$/, '');
  const cps = { uri: input.config.cpsUri ?? `${base}/cps` };
  const stores = new Map<string, Promise<KeyStore>>();
  try {
    const summaries = await input.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${CEREMONY_LOCK})`.execute(trx);
      const out: CaSummary[] = [];
      const keyFor = (spec: KeySpec) => ensureKey(stores, input.keystore, spec);

      let root = await trx.selectFrom('cas').selectAll().where('name', '=', input.config.root.name).executeTakeFirst();
      if (!root) {
        const signer = await keyFor(input.config.root.key);
        const cert = await issueCaCertificate({
          profile: 'root-ca',
          subject: dnOf(input.config.root.subject),
          signer: guardSigner(signer, 'ca-certificate'),
          notBefore: now,
          notAfter: yearsAfter(now, input.config.root.validityYears),
        });
        root = await insertCa(trx, input.config.root, 'root', null, cert.der);
        await appendAudit(trx, {
          actor,
          action: 'ca.created',
          target: `ca:${root.name}`,
          details: { kind: 'root', subject: root.subject_dn, serial: cert.serialHex, notAfter: cert.notAfter.toISOString(), keyUri: root.key_uri },
        });
        out.push(summary(root, true));
      } else {
        out.push(summary(root, false));
      }

      const rootSigner = guardSigner(await keyFor(input.config.root.key), 'ca-certificate');
      for (const plan of input.config.issuing) {
        const existing = await trx.selectFrom('cas').selectAll().where('name', '=', plan.name).executeTakeFirst();
        if (existing) {
          out.push(summary(existing, false));
          // A TSA added to the plan of a CA that already exists is created now.
          if (plan.tsa) await ensureTsa(trx, { plan: plan.tsa, ca: existing, caKey: () => keyFor(plan.key), keyFor, base, actor, now });
          continue;
        }
        const caKey = await keyFor(plan.key);
        const caCert = await issueCaCertificate({
          profile: 'issuing-ca',
          subject: dnOf(plan.subject),
          publicKey: caKey.publicKey,
          issuer: { certificate: new Uint8Array(root.certificate), signer: rootSigner },
          notBefore: now,
          notAfter: yearsAfter(now, plan.validityYears),
          urls: { crl: `${base}/crl/${root.name}.crl`, caIssuers: `${base}/cert/${root.name}.cer` },
          cps,
        });
        const ca = await insertCa(trx, plan, 'issuing', root.id, caCert.der);
        const ocspKey = await keyFor(plan.ocsp.key);
        const ocspCert = await issueOcspSigningCertificate({
          subject: dnOf(plan.ocsp.subject),
          publicKey: ocspKey.publicKey,
          issuer: { certificate: caCert.der, signer: guardSigner(caKey, 'certificate') },
          notBefore: now,
          notAfter: new Date(now.getTime() + plan.ocsp.validityDays * 86_400_000),
        });
        await trx
          .insertInto('ocsp_signers')
          .values({ ca_id: ca.id, certificate: Buffer.from(ocspCert.der), key_uri: plan.ocsp.key.uri, not_before: ocspCert.notBefore, not_after: ocspCert.notAfter })
          .execute();
        await appendAudit(trx, {
          actor,
          action: 'ca.created',
          target: `ca:${ca.name}`,
          details: { kind: 'issuing', parent: root.name, subject: ca.subject_dn, serial: caCert.serialHex, notAfter: caCert.notAfter.toISOString(), keyUri: ca.key_uri },
        });
        await appendAudit(trx, {
          actor,
          action: 'ocsp-signer.created',
          target: `ca:${ca.name}`,
          details: { serial: ocspCert.serialHex, notAfter: ocspCert.notAfter.toISOString(), keyUri: plan.ocsp.key.uri },
        });
        if (plan.tsa) await ensureTsa(trx, { plan: plan.tsa, ca, caKey: async () => caKey, keyFor, base, actor, now });
        out.push(summary(ca, true));
      }

      // The audit checkpoint key (audit/checkpoints): one active key, made once, kept across ceremonies.
      const auditKey = await trx.selectFrom('audit_keys').select('id').where('status', '=', 'active').executeTakeFirst();
      if (!auditKey) {
        const spec = input.config.auditKey ?? DEFAULT_AUDIT_KEY;
        const signer = await keyFor(spec);
        const fingerprint = createHash('sha256').update(signer.publicKey).digest('hex');
        await trx.insertInto('audit_keys').values({ key_uri: spec.uri, public_key: Buffer.from(signer.publicKey), fingerprint }).execute();
        await appendAudit(trx, { actor, action: 'audit-key.created', target: 'audit-key', details: { keyUri: spec.uri, fingerprint, algorithm: signer.algorithm.oid } });
      }
      return out;
    });
    await publishCaCertificates(input.db, input.home);
    return summaries;
  } finally {
    await Promise.all([...stores.values()].map(async (s) => (await s.catch(() => undefined))?.close()));
  }
}

interface TsaStep {
  plan: TsaPlan;
  ca: { id: number; name: string; certificate: Uint8Array; not_after: Date };
  caKey: () => Promise<Signer>;
  keyFor: (spec: KeySpec) => Promise<Signer>;
  base: string;
  actor: string;
  now: Date;
}

/**
 * The CA's time-stamping authority, unless it has an active one: its key (RSA or GOST, in the keystore the
 * plan names — a token in the HSM set-up), a certificate from the CA with a critical timeStamping-only EKU
 * and CRL pointers, and the tsa_signers row naming them. The certificate ends with the CA at the latest.
 */
async function ensureTsa(trx: Transaction<Database>, step: TsaStep): Promise<void> {
  const { plan, ca, now } = step;
  const active = await trx.selectFrom('tsa_signers').select('id').where('ca_id', '=', ca.id).where('status', '=', 'active').executeTakeFirst();
  if (active) return;
  const tsaKey = await step.keyFor(plan.key);
  const wanted = yearsAfter(now, plan.validityYears);
  const caNotAfter = new Date(ca.not_after);
  const urls = caUrls(step.base, ca.name);
  const cert = await issueTimeStampingCertificate({
    subject: dnOf(plan.subject),
    publicKey: tsaKey.publicKey,
    issuer: { certificate: new Uint8Array(ca.certificate), signer: guardSigner(await step.caKey(), 'certificate') },
    notBefore: now,
    notAfter: wanted > caNotAfter ? caNotAfter : wanted,
    urls: { crl: urls.crlUrl, deltaCrl: urls.deltaCrlUrl, caIssuers: urls.certificateUrl },
  });
  await trx
    .insertInto('tsa_signers')
    .values({ ca_id: ca.id, certificate: Buffer.from(cert.der), key_uri: plan.key.uri, not_before: cert.notBefore, not_after: cert.notAfter })
    .execute();
  await appendAudit(trx, {
    actor: step.actor,
    action: 'tsa-signer.created',
    target: `ca:${ca.name}`,
    details: { serial: cert.serialHex, subject: cert.info.subject.display, notAfter: cert.notAfter.toISOString(), keyUri: plan.key.uri },
  });
}

/**
 * Writes every CA certificate to `$QOLTANBA_HOME/ca/<name>.crt` (PEM): what `verify` trusts by default; and the
 * audit checkpoint key's public half to `audit/checkpoint-key.pem`, what `audit verify` checks checkpoints with.
 */
export async function publishCaCertificates(db: Kysely<Database>, home: string): Promise<void> {
  const dir = join(home, 'ca');
  mkdirSync(dir, { recursive: true });
  for (const ca of await db.selectFrom('cas').select(['name', 'certificate']).execute()) {
    writeFileSync(join(dir, `${ca.name}.crt`), toPem('CERTIFICATE', ca.certificate));
  }
  const auditKey = await db.selectFrom('audit_keys').select('public_key').where('status', '=', 'active').executeTakeFirst();
  if (auditKey) {
    mkdirSync(join(home, 'audit'), { recursive: true });
    writeFileSync(auditKeyFile(home), toPem('PUBLIC KEY', auditKey.public_key));
  }
}

async function ensureKey(stores: Map<string, Promise<KeyStore>>, config: KeyStoreConfig, spec: KeySpec): Promise<Signer> {
  const storeKey = spec.uri.startsWith('soft:') ? 'soft:' : spec.uri;
  let store = stores.get(storeKey);
  if (!store) stores.set(storeKey, (store = openKeyStore(spec.uri, config)));
  const ks = await store;
  // A key left by an interrupted ceremony is reused: it never signed anything the database does not know.
  if (await ks.exists(spec.uri)) return ks.signer(spec.uri).catch((e: unknown) => Promise.reject(caKeyError(e, spec.uri)));
  // The plan was validated: GOST keys take no bits, RSA keys always have them.
  return ks.createKey(spec.uri, spec.algorithm === 'GOST-2015-512' ? { algorithm: 'GOST-2015-512' } : { algorithm: 'RSA', bits: spec.bits ?? 4096 });
}

async function insertCa(trx: Transaction<Database>, plan: AuthorityPlan, kind: 'root' | 'issuing', parentId: number | null, der: Uint8Array) {
  const info = inspectCertificate(der);
  if (!info.subjectKeyId) throw new QtError('QT_ERR_PROFILE_VIOLATION', `CA ${plan.name} has no subject key identifier`);
  return trx
    .insertInto('cas')
    .values({
      name: plan.name,
      kind,
      parent_id: parentId,
      subject_dn: info.subject.display,
      certificate: Buffer.from(der),
      subject_key_id: Buffer.from(info.subjectKeyId, 'hex'),
      key_uri: plan.key.uri,
      not_before: info.notBefore,
      not_after: info.notAfter,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

function summary(row: { name: string; kind: 'root' | 'issuing'; subject_dn: string; certificate: Uint8Array; not_after: Date; key_uri: string | null }, created: boolean): CaSummary {
  return {
    name: row.name,
    kind: row.kind,
    subject: row.subject_dn,
    serial: inspectCertificate(row.certificate).serialHex,
    notAfter: new Date(row.not_after),
    keyUri: row.key_uri,
    created,
  };
}

function dnOf(attrs: readonly DnAttribute[]): Uint8Array {
  return encodeDn(attrs.map((a) => ({ type: a.type, value: a.value })));
}

function yearsAfter(d: Date, years: number): Date {
  const out = new Date(d);
  out.setUTCFullYear(out.getUTCFullYear() + years);
  return out;
}
