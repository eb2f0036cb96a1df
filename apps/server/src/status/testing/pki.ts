/**
 * TEST AND BENCH SUPPORT ONLY: a root (WebCrypto key, "offline"), an issuing CA and its delegated OCSP
 * signer whose keys live in a soft key store, registered in `cas` / `ocsp_signers` the way the CA service
 * registers them, and leaf certificates inserted into `certificates` as if issued. Certificates are made
 * with @peculiar/x509 and re-signed through our Signer, so the status code under test signs with keys it
 * can only reach through the SignerProvider, as in production.
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { generateRsaKeyPair, inspectCertificate, oid, toArrayBuffer, toPem, webCryptoSigner, type Bytes, type Signer } from '@qoltanba/pki';
import { SoftKeyStore } from '@qoltanba/keystore';
import { sql } from 'kysely';
import type { Store } from '../../store/index.ts';
import { InProcessSignerProvider } from '../../signer/in-process.ts';
import { setStatusAudited } from '../../audit/testing/certificate-status.ts';

export const TEST_PASSPHRASE_ENV = 'QT_TEST_STATUS_PASSPHRASE';
process.env[TEST_PASSPHRASE_ENV] ??= 'status service test passphrase';

export interface TestCertificate {
  der: Bytes;
  pem: string;
  subject: string;
  /** Lowercase hex without leading zeros, as the certificates table spells it. */
  serial: string;
}

export interface TestPki {
  keysDir: string;
  keyStoreConfig: { soft: { dir: string; passphraseEnv: string } };
  signers: InProcessSignerProvider;
  root: TestCertificate;
  ca: TestCertificate & { id: number; name: string; keyUri: string };
  ocsp: TestCertificate & { id: number; keyUri: string };
  /** Issues (signs and records) a leaf certificate of the CA; `record: false` signs one the CA never recorded. */
  issueLeaf(options?: { serial?: string; subject?: string; record?: boolean }): Promise<TestCertificate & { id: string }>;
  close(): Promise<void>;
}

const KU = x509.KeyUsageFlags;
const FRESHEST_CRL = '2.5.29.46';
/** What the URLs in test certificates point to; nothing fetches them. */
export const TEST_PUBLIC_URL = 'http://127.0.0.1:8080';
let throwaway: Promise<CryptoKeyPair> | undefined;
let serialCounter = 0x5000;

export interface MakeCertificateOptions {
  subject: string;
  serial: string;
  publicKey: Uint8Array;
  issuer: { subject: string; publicKey: Uint8Array; signer: Signer };
  /** A CA certificate, with this pathLenConstraint (undefined: none). */
  ca?: { pathLen?: number };
  keyUsage: number;
  extKeyUsage?: string[];
  /** CRL distribution point and freshest-CRL (delta) URLs, as the national profile puts in every certificate. */
  crl?: { full: string; delta: string };
  notBefore?: Date;
  notAfter?: Date;
}

/** A certificate for `publicKey`, signed by `issuer.signer` (which may be a keystore signer). */
export async function makeCertificate(o: MakeCertificateOptions): Promise<Bytes> {
  const extensions: x509.Extension[] = [
    await x509.SubjectKeyIdentifierExtension.create(toArrayBuffer(o.publicKey)),
    await x509.AuthorityKeyIdentifierExtension.create(toArrayBuffer(o.issuer.publicKey)),
    new x509.KeyUsagesExtension(o.keyUsage, true),
  ];
  if (o.ca) extensions.push(new x509.BasicConstraintsExtension(true, o.ca.pathLen, true));
  if (o.extKeyUsage) extensions.push(new x509.ExtendedKeyUsageExtension(o.extKeyUsage));
  if (o.crl) {
    extensions.push(new x509.CRLDistributionPointsExtension([o.crl.full]));
    // FreshestCRL has CRLDistributionPoints syntax; OpenSSL consults delta CRLs only for certificates carrying it.
    extensions.push(new x509.Extension(FRESHEST_CRL, false, new x509.CRLDistributionPointsExtension([o.crl.delta]).value));
  }
  // @peculiar/x509 signs only with a CryptoKey: let it sign with a throwaway key, then sign the same TBS
  // with the real issuer key.
  const scratch = await (throwaway ??= generateRsaKeyPair(2048));
  const draft = await x509.X509CertificateGenerator.create({
    serialNumber: o.serial,
    subject: o.subject,
    issuer: o.issuer.subject,
    notBefore: o.notBefore ?? new Date('2024-01-01T00:00:00Z'),
    notAfter: o.notAfter ?? new Date('2034-01-01T00:00:00Z'),
    publicKey: toArrayBuffer(o.publicKey),
    signingKey: scratch.privateKey,
    signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    extensions,
  });
  const cert = AsnConvert.parse(draft.rawData, Certificate);
  const tbs = new Uint8Array(AsnConvert.serialize(cert.tbsCertificate));
  cert.signatureValue = toArrayBuffer(await o.issuer.signer.sign(tbs));
  return new Uint8Array(AsnConvert.serialize(cert));
}

export function nextTestSerial(): string {
  return (serialCounter++).toString(16).padStart(16, '0').replace(/^0/, '7');
}

/** Builds the hierarchy, stores the keys in a fresh soft key store and registers the CA in the database. */
export async function createTestPki(store: Store, options: { name?: string } = {}): Promise<TestPki> {
  const name = options.name ?? 'test-ca';
  const keysDir = mkdtempSync(join(tmpdir(), 'qt-status-keys-'));
  const keyStoreConfig = { soft: { dir: keysDir, passphraseEnv: TEST_PASSPHRASE_ENV } };
  const keys = new SoftKeyStore(keyStoreConfig.soft);
  const caKeyUri = `soft:${name}`;
  const ocspKeyUri = `soft:${name}-ocsp`;
  const caSigner = await keys.createKey(caKeyUri, { algorithm: 'RSA', bits: 2048 });
  const ocspSigner = await keys.createKey(ocspKeyUri, { algorithm: 'RSA', bits: 2048 });

  const rootKeys = await generateRsaKeyPair(2048);
  const rootSigner = await webCryptoSigner(rootKeys.privateKey, rootKeys.publicKey);
  const rootSubject = `CN=Qoltanba Test Root ${name}, C=KZ`;
  const root = { subject: rootSubject, publicKey: rootSigner.publicKey, signer: rootSigner };
  const rootDer = await makeCertificate({ subject: rootSubject, serial: '01', publicKey: rootSigner.publicKey, issuer: root, ca: {}, keyUsage: KU.keyCertSign | KU.cRLSign });

  const caSubject = `CN=Qoltanba Test Issuing CA ${name}, C=KZ`;
  const caDer = await makeCertificate({ subject: caSubject, serial: '02', publicKey: caSigner.publicKey, issuer: root, ca: { pathLen: 0 }, keyUsage: KU.keyCertSign | KU.cRLSign });
  const caIssuer = { subject: caSubject, publicKey: caSigner.publicKey, signer: caSigner };
  const ocspDer = await makeCertificate({
    subject: `CN=Qoltanba Test OCSP ${name}, C=KZ`,
    serial: '03',
    publicKey: ocspSigner.publicKey,
    issuer: caIssuer,
    keyUsage: KU.digitalSignature,
    extKeyUsage: [oid.ekuOcspSigning],
  });

  const validity = { not_before: new Date('2024-01-01T00:00:00Z'), not_after: new Date('2034-01-01T00:00:00Z') };
  const rootRow = await store.db
    .insertInto('cas')
    .values({ name: `${name}-root`, kind: 'root', parent_id: null, subject_dn: rootSubject, certificate: Buffer.from(rootDer), subject_key_id: ski(rootDer), key_uri: null, ...validity })
    .returning('id')
    .executeTakeFirstOrThrow();
  const caRow = await store.db
    .insertInto('cas')
    .values({ name, kind: 'issuing', parent_id: rootRow.id, subject_dn: caSubject, certificate: Buffer.from(caDer), subject_key_id: ski(caDer), key_uri: caKeyUri, ...validity })
    .returning('id')
    .executeTakeFirstOrThrow();
  const ocspRow = await store.db
    .insertInto('ocsp_signers')
    .values({ ca_id: caRow.id, certificate: Buffer.from(ocspDer), key_uri: ocspKeyUri, ...validity })
    .returning('id')
    .executeTakeFirstOrThrow();

  const signers = new InProcessSignerProvider(keyStoreConfig);
  // Leaves are signed with the CA key as the issuance service would; the status code under test opens
  // its own signers through `signers`.
  const cert = (der: Bytes, subject: string, serial: string): TestCertificate => ({ der, pem: toPem('CERTIFICATE', der), subject, serial });
  return {
    keysDir,
    keyStoreConfig,
    signers,
    root: cert(rootDer, rootSubject, '1'),
    ca: { ...cert(caDer, caSubject, '2'), id: caRow.id, name, keyUri: caKeyUri },
    ocsp: { ...cert(ocspDer, `CN=Qoltanba Test OCSP ${name}, C=KZ`, '3'), id: ocspRow.id, keyUri: ocspKeyUri },
    async issueLeaf(o = {}) {
      const serial = (o.serial ?? nextTestSerial()).toLowerCase().replace(/^0+/, '');
      const subject = o.subject ?? `CN=ТЕСТОВ ТЕСТ ${serial}, 2.5.4.5=IIN123456789011, C=KZ`;
      const leafKeys = await (throwaway ??= generateRsaKeyPair(2048));
      const spki = new Uint8Array(await crypto.subtle.exportKey('spki', leafKeys.publicKey));
      const der = await makeCertificate({
        subject,
        serial,
        publicKey: spki,
        issuer: caIssuer,
        keyUsage: KU.digitalSignature | KU.nonRepudiation,
        extKeyUsage: [oid.ekuEmailProtection],
        crl: { full: `${TEST_PUBLIC_URL}/crl/${name}.crl`, delta: `${TEST_PUBLIC_URL}/crl/${name}-delta.crl` },
      });
      if (o.record === false) return { ...cert(der, subject, serial), id: '' };
      const row = await store.db
        .insertInto('certificates')
        .values({
          ca_id: caRow.id,
          serial,
          der: Buffer.from(der),
          kind: 'SIGN',
          profile: 'individual-sign',
          subject_iin: '123456789011',
          subject_dn: subject,
          spki_sha256: createHash('sha256').update(spki).digest(),
          not_before: validity.not_before,
          not_after: validity.not_after,
          storage: 'file',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { ...cert(der, subject, serial), id: row.id };
    },
    async close() {
      await signers.close();
      await keys.close();
      rmSync(keysDir, { recursive: true, force: true });
    },
  };
}

/** Changes a certificate's status the way the revocation service does: with its audit entry (the trigger records the change). */
export async function setCertificateStatus(
  store: Store,
  caId: number,
  serial: string,
  change: { status: 'good' } | { status: 'revoked' | 'on_hold'; reason: number; at: Date; invalidityDate?: Date },
): Promise<void> {
  const values =
    change.status === 'good'
      ? { status: 'good' as const, revocation_reason: null, revoked_at: null, invalidity_date: null }
      : { status: change.status, revocation_reason: change.reason, revoked_at: change.at, invalidity_date: change.invalidityDate ?? null };
  const row = await store.db.selectFrom('certificates').select('id').where('ca_id', '=', caId).where('serial', '=', serial).executeTakeFirst();
  if (!row) throw new Error(`no certificate ${serial} in CA ${caId}`);
  await setStatusAudited(store.db, [row.id], values);
}

/**
 * Inserts `count` certificates straight in SQL (placeholder DER, serials "f" + 15 hex digits of md5(i)):
 * the bulk behind CRL tests and benches. Revoked by default, with varied reasons and dates.
 */
export async function insertRevokedBulk(store: Store, caId: number, count: number, options: { offset?: number; good?: boolean } = {}): Promise<void> {
  const offset = options.offset ?? 0;
  const chunk = 100_000;
  const status = options.good ? sql`'good', NULL::smallint, NULL::timestamptz` : sql`'revoked', (ARRAY[0, 1, 3, 4, 5, 9])[1 + i % 6], timestamptz '2025-01-01' + i * interval '1 second'`;
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    await sql`
      INSERT INTO certificates (ca_id, serial, der, kind, profile, subject_iin, subject_dn, spki_sha256, not_before, not_after,
                                status, revocation_reason, revoked_at, storage)
      SELECT ${caId}, 'f' || substr(md5(i::text), 1, 15), '\\x3000'::bytea, 'SIGN', 'individual-sign', '123456789011',
             'CN=BULK ' || i, sha256(i::text::bytea), '2024-01-01', '2034-01-01', ${status}, 'file'
      FROM generate_series(${offset + start + 1}::int, ${offset + start + n}::int) AS i`.execute(store.db);
  }
}

/** The serials insertRevokedBulk gives certificates offset+1 … offset+count. */
export function bulkSerial(i: number): string {
  return `f${createHash('md5').update(String(i)).digest('hex').slice(0, 15)}`;
}

function ski(der: Uint8Array): Buffer {
  return Buffer.from(inspectCertificate(der).subjectKeyId!, 'hex');
}
