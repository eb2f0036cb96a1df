/**
 * Issuance: one transaction claims the idempotency key, checks the application and the key's history,
 * signs, and stores the certificate, the subject, the audit entry and the idempotency response; only
 * after COMMIT is anything returned (as Boulder stores before it hands out). A process killed at any
 * point leaves either all of it or none of it: a certificate signed but not committed never left this
 * process, and the retry with the same key issues it afresh.
 *
 * Everything that can be refused on the request alone (profile, subject, CSR, sizes) is refused before
 * the transaction, so bad input costs no database work.
 */
import { createHash } from 'node:crypto';
import {
  QtError,
  isQtError,
  buildKzSubject,
  getProfile,
  issueCertificate,
  parseCsr,
  profileNames,
  verifyCsr,
  type CsrInfo,
  type IdentificationMethod,
  type IssuedCertificate,
  type KzSubjectInput,
  type Signer,
} from '@qoltanba/pki';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database, KeyStorage } from '../store/schema.ts';
import { retryOnStalePlan } from '../store/prepared.ts';
import { queueAuditFrom, type AuditEntry } from '../audit/index.ts';
import { caUrls } from '../status/index.ts';
import type { ServerContext } from '../context.ts';
import type { Ra } from './ra.ts';
import type { IssuingCa } from './authorities.ts';
import { checkApplication, checkApplicationId, judgeApplication, type ApplicationForIssuance } from './applications.ts';
import { withStore } from './db-errors.ts';
import { afterCommit, type FreshOcsp } from './hooks.ts';
import { checkIdempotencyKey, claimIdempotencyKey, requestHash } from './idempotency.ts';
import { keyClash, publicKeyLock, refuseKeyClash } from './key-reuse.ts';
import { selectCertificates, toRecord, type CertificateRecord } from './records.ts';
import { displaySerial, normalizeSerial } from './serial.ts';
import { ON_SUBJECT_CONFLICT } from './subjects.ts';

/** Who a certificate is issued to: the person's fields of the national subject (the CA adds country and CN). */
export type IssueSubject = Pick<KzSubjectInput, 'surname' | 'name' | 'patronymic' | 'iin' | 'organization' | 'bin'>;

export interface IssueRequest {
  /** CA name; default: the active issuing CA for the request's key algorithm. */
  ca?: string | undefined;
  /** PKCS#10: PEM, base64 or DER. Only its public key is used. */
  csr: string | Uint8Array;
  profile: string;
  /** As the RA established it (identity proofing); never taken from the CSR. */
  subject: IssueSubject;
  email?: string | undefined;
  storage: KeyStorage;
  identification?: IdentificationMethod | undefined;
  applicationId?: string | undefined;
  /** The client's key for this request: the same key and request give the same certificate. */
  idempotencyKey: string;
  /** Who asks ('token:<name>', 'operator:<login>', 'citizen:<IIN>'); keys are scoped per actor. */
  actor: string;
  /**
   * Set only by the CA administrators' own path (ra/operators.ts, `qoltanba operator issue`): allows a
   * restricted profile (the RA operator's). The CA API, the portal and re-issuance never set it.
   */
  administrator?: boolean | undefined;
}

export interface IssueResult {
  certificate: CertificateRecord;
  /** True when this is the stored answer to an earlier request with the same idempotency key. */
  replayed: boolean;
}

/** A 128-bit random serial colliding is ~never; a few retries make "never" exact without looping on a bug. */
export const SERIAL_ATTEMPTS = 4;
const STORAGES: readonly KeyStorage[] = ['file', 'token'];
const IDENTIFICATIONS: readonly IdentificationMethod[] = ['in-person', 'remote'];

export interface CheckedRequest {
  request: IssueRequest;
  key: string;
  kind: 'AUTH' | 'SIGN';
  csr: CsrInfo;
  spkiSha256: Buffer;
  applicationId: string | undefined;
  hash: Buffer;
  scope: string;
}

/** One checked request in a transaction of its own (a batch of one, and each request of a batch that failed as a whole). */
export function issueAlone(ra: Ra, checked: CheckedRequest): Promise<Outcome> {
  // A statement prepared before a migration changed its result type fails the transaction once (store/prepared.ts):
  // nothing of it committed, so it runs once more.
  return withStore('the issuance', () => retryOnStalePlan(() => ra.ctx.store.db.transaction().execute((trx) => issueIn(ra, trx, checked))));
}

/**
 * After COMMIT: the status service pre-signs OCSP for a new certificate (a replay's was announced the first time;
 * a batch's certificates had theirs stored with them).
 */
export async function announceIssued(ra: Ra, outcome: Outcome): Promise<void> {
  if (outcome.replayed || outcome.ocspStored) return;
  const { caId, certificate } = outcome;
  await afterCommit(ra.ctx.log, 'OCSP pre-signing of a new certificate', () => ra.hooks.afterIssue(caId, normalizeSerial(certificate.serial)));
}

/**
 * After COMMIT, for certificates issued together: their pre-signing is asked for in the same tick, so it goes
 * into one batch (one audit check, one INSERT, the signatures at the same time). Never rejects (afterCommit).
 */
export async function announceIssuedAll(ra: Ra, outcomes: readonly Outcome[]): Promise<void> {
  await Promise.all(outcomes.map((o) => announceIssued(ra, o)));
}

/** Everything refused on the request alone, before any transaction (issue-for-application.ts uses it too). */
export async function checkRequest(ra: Ra, request: IssueRequest): Promise<CheckedRequest> {
  const key = checkIdempotencyKey(request.idempotencyKey);
  const profile = getProfile(request.profile);
  if (profile.kind !== 'AUTH' && profile.kind !== 'SIGN') {
    const subscriber = profileNames.filter((n) => ['AUTH', 'SIGN'].includes(getProfile(n).kind));
    throw new QtError('QT_ERR_PROFILE_UNKNOWN', `Profile "${profile.name}" is not issued to people; subscriber profiles: ${subscriber.join(', ')}`, {
      profile: profile.name,
      known: subscriber,
    });
  }
  if (profile.restricted && request.administrator !== true) {
    throw new QtError('QT_ERR_PROFILE_RESTRICTED', `Profile "${profile.name}" is issued only by the CA administrators (qoltanba operator issue)`, { profile: profile.name });
  }
  if (!STORAGES.includes(request.storage)) throw new QtError('QT_ERR_INPUT_INVALID', 'storage must be "file" or "token"', { field: 'storage' });
  if (request.identification !== undefined && !IDENTIFICATIONS.includes(request.identification)) {
    throw new QtError('QT_ERR_INPUT_INVALID', 'identification must be "in-person" or "remote"', { field: 'identification' });
  }
  // Names, IIN and BIN are checked now; issueCertificate builds the same DN again inside the transaction.
  buildKzSubject(request.subject, { testMode: ra.testMode });
  const csr = await verifyCsr(readCsr(request.csr, ra.ctx.config.limits.csrBytes));
  const applicationId = checkApplicationId(request.applicationId);
  const s = request.subject;
  const hash = requestHash({
    ca: request.ca,
    csrSha256: createHash('sha256').update(csr.der).digest('hex'),
    profile: profile.name,
    subject: { surname: s.surname, name: s.name, patronymic: s.patronymic, iin: s.iin, organization: s.organization, bin: s.bin },
    email: request.email,
    storage: request.storage,
    identification: request.identification,
    applicationId,
  });
  return {
    request,
    key,
    kind: profile.kind,
    csr,
    spkiSha256: createHash('sha256').update(csr.publicKey.spki).digest(),
    applicationId,
    hash,
    scope: `certificates.issue ${request.actor}`,
  };
}

/** The CSR as DER, refusing anything over the configured size before parsing it. */
function readCsr(input: string | Uint8Array, maxBytes: number): CsrInfo {
  const size = typeof input === 'string' ? input.length : input.byteLength;
  // Text (PEM, base64) is ~4/3 of its DER; twice the limit leaves room for PEM headers and line breaks.
  if (size > maxBytes * 2) throw tooLarge(maxBytes);
  const csr = parseCsr(input);
  if (csr.der.length > maxBytes) throw tooLarge(maxBytes);
  return csr;
}

function tooLarge(maxBytes: number): QtError {
  return new QtError('QT_ERR_TOO_LARGE', `The certificate request is larger than ${maxBytes} bytes`, { maxBytes });
}

export type Outcome = Replayed | { replayed: false; caId: number; certificate: CertificateRecord; ocspStored?: boolean };
/** The stored answer to an earlier request with the same idempotency key. */
export type Replayed = { replayed: true; certificate: CertificateRecord };

/**
 * One certificate inside the caller's transaction (issue() opens one per certificate; issue-for-application.ts one
 * for a pair). Three statements besides BEGIN/COMMIT (issue 16: each round trip cost ≈ 0.3 ms of server CPU and as
 * much of PostgreSQL's): the idempotency claim with the public key's lock; the CA candidates with the key's clash
 * (a later statement, so its snapshot sees what committed before the lock); after signing, one statement storing
 * certificate, subject, audit entry and the idempotency answer. An application is checked in a statement of its own.
 */
export async function issueIn(ra: Ra, trx: Kysely<Database>, c: CheckedRequest): Promise<Outcome> {
  const prepared = await prepareIn(ra, trx, c);
  if (prepared.replayed) return prepared;
  return storeSigned(ra, trx, prepared, await signPrepared(ra, prepared), { presign: true });
}

/** A fresh request that passed every check in the transaction: what its signature needs. */
export interface PreparedIssuance {
  replayed: false;
  c: CheckedRequest;
  ca: IssuingCa;
  signer: Signer;
}

/**
 * issueIn up to the signature: the claim (a replay ends here with its stored certificate), the CA, the
 * application, the key. `application` is the application's row when the caller has already read it under a lock
 * held until COMMIT (issue-for-application.ts): it is judged as read instead of read again.
 */
export async function prepareIn(ra: Ra, trx: Kysely<Database>, c: CheckedRequest, application?: ApplicationForIssuance): Promise<Replayed | PreparedIssuance> {
  const { ctx } = ra;
  const { request } = c;
  // The key's lock strictly after the claim (a doubled request waits on the claim first, then the lock, as before).
  const claim = await claimIdempotencyKey(trx, c.scope, c.key, c.hash, ra.idempotencyHours, publicKeyLock(c.spkiSha256));
  if (claim.kind === 'replay') {
    const id = claim.response.certificateId;
    const row = typeof id === 'string' ? await selectCertificates(trx).where('c.id', '=', id).executeTakeFirst() : undefined;
    if (!row) throw new QtError('QT_ERR_INTERNAL', 'The stored answer for this Idempotency-Key names no certificate');
    return { replayed: true, certificate: toRecord(row) };
  }

  const rows = await ra.cas
    .candidates(trx, request.ca)
    .leftJoinLateral(keyClash(trx, c.spkiSha256, request.subject.iin).as('k'), (join) => join.onTrue())
    .select(['k.clash_ca', 'k.clash_serial', 'k.clash_reason'])
    .execute();
  // Refused in the order of old: the CA, then the application, then the key.
  const ca = ra.cas.choose(rows, request.ca, c.csr.publicKey.algorithm, ctx.now());
  const signer = await openSigner(ctx, ca);
  const bin = request.subject.bin || undefined;
  if (c.applicationId) {
    if (application) judgeApplication(application, c.applicationId, request.subject.iin, bin);
    else await checkApplication(trx, c.applicationId, request.subject.iin, bin);
  }
  refuseKeyClash(rows[0]);
  return { replayed: false, c, ca, signer };
}

/** The CA's signature over the prepared certificate (lint before sign included); no database work. */
export function signPrepared(ra: Ra, p: PreparedIssuance): Promise<IssuedCertificate> {
  return sign(ra, p.c, p.ca, p.signer);
}

/**
 * Stores a prepared certificate signed by signPrepared: one statement, or — on a serial collision, which stores
 * nothing — a new signature with a new serial and another try. With `presign`, the certificate's OCSP response is
 * signed now and stored by the same statement (presignFresh); issue-for-application.ts pre-signs its pair after the
 * commit instead, off its answer's path.
 */
export async function storeSigned(ra: Ra, trx: Kysely<Database>, p: PreparedIssuance, signed: IssuedCertificate, options: { presign?: boolean } = {}): Promise<Outcome> {
  const { ctx } = ra;
  const { c, ca } = p;
  let issued = signed;
  let stored: { id: string; issued_at: Date } | undefined;
  let serial = '';
  let fresh: FreshOcsp | undefined;
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1) issued = await signPrepared(ra, p);
    serial = normalizeSerial(issued.serialHex);
    fresh = options.presign ? await presignFresh(ra, ca, serial) : undefined;
    const ocsp = fresh && ra.hooks.fresh ? ra.hooks.fresh.storeFrom('c', [fresh]) : undefined;
    stored = await storeIssued(trx, c, ca, issued, serial, attempt, ocsp);
    if (stored) break;
    ctx.log.warn({ ca: ca.name, serial }, 'serial number collision; signing again with a new serial');
    if (attempt >= SERIAL_ATTEMPTS) throw new QtError('QT_ERR_INTERNAL', `No free serial number after ${SERIAL_ATTEMPTS} attempts`);
  }
  return { replayed: false, caId: ca.id, certificate: issuedRecord(c, ca, issued, serial, stored), ocspStored: fresh !== undefined };
}

/**
 * A new certificate's OCSP "good" response, signed before its commit for the statement that stores the certificate
 * (hooks.fresh), or undefined: no status service here, its CAs not loaded yet, or signing failed (logged) — then
 * announceIssued pre-signs after the commit, as before.
 */
export async function presignFresh(ra: Ra, ca: IssuingCa, serial: string): Promise<FreshOcsp | undefined> {
  if (!ra.hooks.fresh) return undefined;
  try {
    return await ra.hooks.fresh.sign(ca.id, serial);
  } catch (err) {
    ra.ctx.log.warn({ err, ca: ca.name, serial }, 'OCSP pre-signing of a new certificate failed; it is pre-signed after the commit');
    return undefined;
  }
}

/** The record of a certificate just stored (`serial` as the table spells it). */
export function issuedRecord(c: CheckedRequest, ca: IssuingCa, cert: IssuedCertificate, serial: string, stored: { id: string; issued_at: Date }): CertificateRecord {
  const { request } = c;
  return {
    id: stored.id,
    ca: ca.name,
    serial: displaySerial(serial),
    kind: c.kind,
    profile: cert.profile,
    subject: cert.info.subject.display,
    iin: request.subject.iin,
    bin: request.subject.bin || null,
    status: 'good',
    revocationReason: null,
    revokedAt: null,
    invalidityDate: null,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    storage: request.storage,
    applicationId: c.applicationId ?? null,
    issuedAt: stored.issued_at,
    der: Buffer.from(cert.der),
    pem: cert.pem,
  };
}

/**
 * One statement: the certificate, and — only if it was stored — the subject, the audit entry and the idempotency
 * answer (each CTE reads the certificate's RETURNING row, so a colliding serial stores nothing at all: that
 * signature is discarded, it never left this process). Undefined on a collision.
 */
async function storeIssued(trx: Kysely<Database>, c: CheckedRequest, ca: IssuingCa, issued: IssuedCertificate, serial: string, attempt: number, ocsp?: RawBuilder<unknown>): Promise<{ id: string; issued_at: Date } | undefined> {
  const { request } = c;
  const bin = request.subject.bin || undefined;
  const audit = queueAuditFrom('c', issuedEntry(c, ca, issued, serial, attempt));
  const subject = subjectOf(c);
  const { rows } = await sql<{ id: string; issued_at: Date }>`
    WITH c AS (
      INSERT INTO certificates (ca_id, serial, der, kind, profile, subject_iin, subject_bin, subject_dn, spki_sha256, not_before, not_after, storage, application_id)
      VALUES (${ca.id}, ${serial}, ${Buffer.from(issued.der)}, ${c.kind}, ${issued.profile}, ${request.subject.iin}, ${bin ?? null}, ${issued.info.subject.display},
              ${c.spkiSha256}, ${issued.notBefore}, ${issued.notAfter}, ${request.storage}, ${c.applicationId ?? null})
      ON CONFLICT ON CONSTRAINT certificates_serial_unique_per_ca DO NOTHING
      RETURNING id, issued_at, ca_id, serial
    ), s AS (
      INSERT INTO subjects (iin, surname, given_name, patronymic, email)
      SELECT ${request.subject.iin}::text, ${subject.surname}::text, ${subject.givenName}::text, ${subject.patronymic}::text, ${subject.email}::text FROM c
      ${ON_SUBJECT_CONFLICT}
    ), a AS (${audit}), i AS (
      UPDATE idempotency_keys SET response_status = 201, completed_at = now(),
        response = jsonb_build_object('certificateId', c.id::text, 'ca', ${ca.name}::text, 'serial', ${serial}::text)
      FROM c WHERE idempotency_keys.scope = ${c.scope} AND idempotency_keys.key = ${c.key}
    )${ocsp ? sql`, o AS (${ocsp})` : sql``}
    SELECT id, issued_at FROM c`.execute(trx);
  return rows[0];
}

/** The `certificate.issued` audit entry (`serial` as the table spells it). */
export function issuedEntry(c: CheckedRequest, ca: IssuingCa, issued: IssuedCertificate, serial: string, attempt: number): AuditEntry {
  const { request } = c;
  return {
    actor: request.actor,
    action: 'certificate.issued',
    target: `certificate:${ca.name}/${displaySerial(serial)}`,
    details: {
      ca: ca.name,
      serial: displaySerial(serial),
      profile: issued.profile,
      kind: c.kind,
      iin: request.subject.iin,
      bin: request.subject.bin || null,
      storage: request.storage,
      identification: request.identification ?? null,
      notBefore: issued.notBefore.toISOString(),
      notAfter: issued.notAfter.toISOString(),
      spkiSha256: c.spkiSha256.toString('hex'),
      applicationId: c.applicationId ?? null,
      idempotencyKey: c.key,
      serialAttempts: attempt,
    },
  };
}

/** The subjects row an issuance records: the name the RA established; no address keeps the one we have. */
export function subjectOf(c: CheckedRequest): { surname: string; givenName: string; patronymic: string | null; email: string | null } {
  const s = c.request.subject;
  return { surname: s.surname.trim(), givenName: s.name.trim(), patronymic: s.patronymic?.trim() || null, email: c.request.email || null };
}

/** The CA's key, opened for subscriber certificates only; any failure to reach it is one stable 503. */
export async function openSigner(ctx: ServerContext, ca: IssuingCa): Promise<Signer> {
  try {
    return await ctx.signers.signerFor(ca.keyUri, 'certificate');
  } catch (err) {
    ctx.log.error({ err, ca: ca.name }, 'the CA signing key could not be opened');
    // A wrong passphrase will not get better by trying again: it is said as it is.
    if (isQtError(err, 'QT_ERR_CA_PASSPHRASE_WRONG')) throw err;
    throw new QtError('QT_ERR_CA_SIGNER_UNAVAILABLE', undefined, { ca: ca.name }, { cause: err });
  }
}

function sign(ra: Ra, c: CheckedRequest, ca: IssuingCa, signer: Signer): Promise<IssuedCertificate> {
  const base = ra.ctx.config.publicUrl.replace(/\/+$/, '');
  const urls = caUrls(base, ca.name);
  const serial = ra.serialSource?.();
  return issueCertificate({
    csr: c.csr,
    profile: c.request.profile as Parameters<typeof issueCertificate>[0]['profile'],
    subject: c.request.subject,
    issuer: { certificate: ca.info, signer },
    urls: { crl: urls.crlUrl, deltaCrl: urls.deltaCrlUrl, ocsp: urls.ocspUrl, caIssuers: urls.certificateUrl },
    cps: { uri: `${base}/cps` },
    email: c.request.email || undefined,
    identification: c.request.identification,
    keyStorage: c.request.storage,
    notBefore: ra.ctx.now(),
    testMode: ra.testMode,
    ...(serial ? { serial } : {}),
  });
}
