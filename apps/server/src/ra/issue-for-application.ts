/**
 * The end of a re-issuance or a remote issuance: the agent's two new keys become an AUTH and a SIGN
 * certificate for an approved application, and the application is completed — all in ONE transaction
 * (the application row locked first, then per certificate what issue() does in its own: idempotency claim,
 * checks, lint and signature, the certificate, the subject, the audit entry), with the surface's own record
 * of the two certificates. A crash at any point leaves the application approved with neither certificate,
 * or completed with both and recorded; never one certificate, never a completed application that does not
 * say which.
 *
 * Idempotent per (surface, application, agent request): the keys are `<via>-<application>-AUTH|SIGN-<request>`,
 * so a retry after a lost answer gets the same certificates, and a second request for the same application
 * waits on its row for the first one's COMMIT instead of signing a second pair.
 */
import type { Kysely, RawBuilder } from 'kysely';
import { QtError, toPem, type IdentificationMethod, type IssuedCertificate } from '@qoltanba/pki';
import type { Database, KeyStorage } from '../store/schema.ts';
import { retryOnStalePlan } from '../store/prepared.ts';
import { moveApplication } from './applications.ts';
import { withStore } from './db-errors.ts';
import { announceIssuedAll, checkRequest, prepareIn, signPrepared, storeSigned, type CheckedRequest, type IssueSubject, type Outcome } from './issue.ts';
import type { Ra } from './ra.ts';
import type { CertificateRecord } from './records.ts';

export interface ApplicationIssuance {
  applicationId: string;
  /** The surface that asks ('portal', 'remote'): part of the idempotency keys. */
  via: string;
  /** The agent's id for this pair of keys. */
  requestId: string;
  subject: IssueSubject;
  email?: string | undefined;
  storage: KeyStorage;
  identification: IdentificationMethod;
  /** PKCS#10 of each new key and the profile it is issued under. */
  auth: { csr: string; profile: string };
  sign: { csr: string; profile: string };
  /** Who asks ('citizen:<IIN>'). */
  actor: string;
  /**
   * The surface's own record of the two certificates (e.g. its row's certificate ids), written in the
   * transaction that completes the application, with the application row locked.
   */
  record?(trx: Kysely<Database>, issued: IssuedPair): Promise<void>;
  /**
   * The same record as a statement of its own kind (an UPDATE of the surface's row, reading `moved`), sent in the
   * statement that completes the application: the record, the move and its audit entry go as one round trip.
   */
  recordAlong?(issued: IssuedPair): RawBuilder<unknown>;
}

export interface IssuedPair {
  auth: CertificateRecord;
  sign: CertificateRecord;
  /**
   * The chain the agent installs with them (the issuing CA, then its root), when this issuance signed them: the
   * CA rows it signed with, read in its transaction. Absent for a replay.
   */
  chain?: Buffer[] | undefined;
}

export async function issueForApplication(ra: Ra, a: ApplicationIssuance): Promise<IssuedPair> {
  const common = { subject: a.subject, email: a.email, storage: a.storage, identification: a.identification, applicationId: a.applicationId, actor: a.actor };
  const key = (kind: 'AUTH' | 'SIGN') => `${a.via}-${a.applicationId}-${kind}-${a.requestId}`;
  // Bad input (CSR, profile, subject) is refused before the transaction, as issue() refuses it.
  // The two CSRs' signatures are checked at the same time (WebCrypto runs them on the thread pool); when both
  // are refused, the AUTH one's reason is given, as when they were checked one after the other.
  const checks = await Promise.allSettled([
    checkRequest(ra, { ...common, ...a.auth, idempotencyKey: key('AUTH') }),
    checkRequest(ra, { ...common, ...a.sign, idempotencyKey: key('SIGN') }),
  ]);
  const [auth, sign] = checks.map((c) => {
    if (c.status === 'rejected') throw c.reason;
    return c.value;
  }) as [CheckedRequest, CheckedRequest];
  const id = auth.applicationId as string;
  const done = await withStore('the issuance', () =>
    retryOnStalePlan(() => ra.ctx.store.db.transaction().execute(async (trx) => {
      // Locked until COMMIT: each certificate's application check judges this row instead of reading it again.
      const app = await trx.selectFrom('applications').select(['kind', 'state', 'iin', 'bin', 'identification']).where('id', '=', id).forUpdate().executeTakeFirst();
      if (!app) throw new QtError('QT_ERR_APPLICATION_NOT_FOUND', `There is no application ${id}`, { applicationId: id });
      // A completed application answers only a replay (the same keys): anything new is refused by the
      // application check of prepareIn. Both are checked before either is signed; then the two CA signatures are
      // made at the same time (WebCrypto signs on the thread pool), and stored AUTH first.
      const prepared = [await prepareIn(ra, trx, auth, app), await prepareIn(ra, trx, sign, app)] as const;
      const signatures = await Promise.allSettled(prepared.map((p) => (p.replayed ? undefined : signPrepared(ra, p))));
      const outcomes: Outcome[] = [];
      for (const [i, p] of prepared.entries()) {
        const s = signatures[i]!;
        // When both fail, the AUTH one's reason is given, as when they were signed one after the other.
        if (s.status === 'rejected') throw s.reason;
        outcomes.push(p.replayed ? p : await storeSigned(ra, trx, p, s.value as IssuedCertificate));
      }
      const [authOutcome, signOutcome] = outcomes as [Outcome, Outcome];
      if (app.state === 'approved') {
        const issued = { auth: authOutcome.certificate, sign: signOutcome.certificate };
        await moveApplication(trx, id, 'approved', 'completed', ra.ctx.now(), {
          actor: a.actor,
          details: { issued: [`${issued.auth.ca}/${issued.auth.serial}`, `${issued.sign.ca}/${issued.sign.serial}`], agentRequestId: a.requestId },
          known: app,
          alongside: a.recordAlong?.(issued),
        });
        await a.record?.(trx, issued);
      }
      // Both signed by one CA (the same one, chosen by key family; the pair's keys are of one family): its chain.
      const cas = prepared.flatMap((p) => (p.replayed ? [] : [p.ca]));
      const chain = cas.length === 2 && cas[0]!.id === cas[1]!.id ? cas[0]!.chain : undefined;
      return { outcomes: [authOutcome, signOutcome] as const, chain };
    })),
  );
  // OCSP pre-signing of the new pair, both in one batch, off the answer's path: the agent gets its certificates
  // without waiting for it. Until it is stored (or if this process dies first) the responder signs a certificate's
  // first answer on demand and stores it, and the refresher fills what is still missing (status/ocsp/refresh.ts).
  void announceIssuedAll(ra, done.outcomes);
  return { auth: done.outcomes[0].certificate, sign: done.outcomes[1].certificate, chain: done.chain };
}

export interface IssuedForAgent {
  requestId: string;
  /** AUTH then SIGN, PEM. */
  certificates: string[];
  /** The issuing CA, then its root. */
  chain: string[];
}

/**
 * What the agent installs, from a pair this process has just issued (issueForApplication's answer with its chain):
 * nothing to read again.
 */
export function issuedForAgentFrom(pair: IssuedPair & { chain: Buffer[] }, iin: string, requestId: string): IssuedForAgent {
  if (pair.auth.iin !== iin || pair.sign.iin !== iin) throw new QtError('QT_ERR_INTERNAL', 'The issued certificates are not the applicant\'s');
  return { requestId, certificates: [toPem('CERTIFICATE', pair.auth.der), toPem('CERTIFICATE', pair.sign.der)], chain: pair.chain.map((der) => toPem('CERTIFICATE', der)) };
}

/** What the agent installs for an application: its two certificates (they must be the person's) and the chain to our root. */
export async function issuedForAgent(
  db: Kysely<Database>,
  r: { iin: string; authCertificateId: string | null; signCertificateId: string | null; agentRequestId: string | null },
): Promise<IssuedForAgent> {
  if (!r.authCertificateId || !r.signCertificateId || !r.agentRequestId) throw new QtError('QT_ERR_APPLICATION_STATE', 'No certificates are issued yet');
  // The root comes in the same statement (one round trip, not two, on every keys step and its retries).
  const rows = await db
    .selectFrom('certificates as c')
    .innerJoin('cas as ca', 'ca.id', 'c.ca_id')
    .leftJoin('cas as root', 'root.id', 'ca.parent_id')
    .select(['c.id', 'c.der', 'c.subject_iin', 'ca.certificate as ca_certificate', 'root.certificate as root_certificate'])
    .where('c.id', 'in', [r.authCertificateId, r.signCertificateId])
    .execute();
  const byId = new Map(rows.map((x) => [x.id, x]));
  const auth = byId.get(r.authCertificateId);
  const sign = byId.get(r.signCertificateId);
  if (!auth || !sign || auth.subject_iin !== r.iin || sign.subject_iin !== r.iin) throw new QtError('QT_ERR_INTERNAL', 'The issued certificates are not where the application says');
  const chain = [toPem('CERTIFICATE', auth.ca_certificate)];
  if (auth.root_certificate) chain.push(toPem('CERTIFICATE', auth.root_certificate));
  return { requestId: r.agentRequestId, certificates: [toPem('CERTIFICATE', auth.der), toPem('CERTIFICATE', sign.der)], chain };
}
