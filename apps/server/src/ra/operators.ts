/**
 * RA operators: the people who sign in to the operators' console (../operator) and decide face checks. An
 * operator is an AUTH certificate of the restricted profile `ra-operator-auth` (the individual role plus
 * the RA-operator role 1.2.398.3.3.4.2.3), issued only by the CA's administrators through here —
 * `qoltanba operator issue|list|revoke` — on the RA's one issuance path: idempotency, key-reuse check,
 * lint before sign, the audit entry in the same transaction, OCSP pre-signed after commit. The CA API, the
 * portal and re-issuance refuse the profile (QT_ERR_PROFILE_RESTRICTED). Revoking the certificate ends the
 * operator's console session at their next request (the console re-reads the certificate every time).
 */
import { QtError } from '@qoltanba/pki';
import type { KeyStorage } from '../store/schema.ts';
import { issue } from './batch.ts';
import type { IssueResult } from './issue.ts';
import type { Ra } from './ra.ts';
import { selectCertificates, toRecord, type CertificateRecord } from './records.ts';
import { revoke, type RevocationReason, type StatusChangeResult } from './revoke.ts';
import { normalizeSerial } from './serial.ts';

export const RA_OPERATOR_PROFILE = 'ra-operator-auth';

export interface IssueRaOperatorRequest {
  /** PKCS#10 made by the operator (only its public key is used). */
  csr: string | Uint8Array;
  /** As the administrator established it, from the identity document; never from the CSR. */
  subject: { surname: string; name: string; patronymic?: string | undefined; iin: string };
  email?: string | undefined;
  storage: KeyStorage;
  ca?: string | undefined;
  idempotencyKey: string;
  /** The administrator ('operator:cli', 'system:demo'). */
  actor: string;
}

/** Issues an RA operator's AUTH certificate. Operators are identified in person, by the administrator. */
export function issueRaOperator(ra: Ra, request: IssueRaOperatorRequest): Promise<IssueResult> {
  return issue(ra, {
    csr: request.csr,
    profile: RA_OPERATOR_PROFILE,
    subject: request.subject,
    email: request.email,
    storage: request.storage,
    ca: request.ca,
    identification: 'in-person',
    idempotencyKey: request.idempotencyKey,
    actor: request.actor,
    administrator: true,
  });
}

/**
 * Operators' certificates, newest first. By default only those that let someone into the console now
 * (good and within their validity); `all` adds revoked, held and expired ones.
 */
export async function listRaOperators(ra: Ra, options: { all?: boolean } = {}): Promise<CertificateRecord[]> {
  let query = selectCertificates(ra.ctx.store.db).where('c.profile', '=', RA_OPERATOR_PROFILE);
  if (!options.all) query = query.where('c.status', '=', 'good').where('c.not_after', '>', ra.ctx.now());
  const rows = await query.orderBy('c.issued_at', 'desc').orderBy('c.id', 'desc').execute();
  return rows.map(toRecord);
}

/**
 * Revokes an operator's certificate (default reason privilegeWithdrawn: the role is taken away). Only
 * operators' certificates: a citizen's serial typed here by mistake is "not found", never revoked.
 */
export async function revokeRaOperator(ra: Ra, request: { serial: string; ca?: string | undefined; reason?: RevocationReason | undefined; actor: string }): Promise<StatusChangeResult> {
  const serial = normalizeSerial(request.serial);
  let query = selectCertificates(ra.ctx.store.db).where('c.profile', '=', RA_OPERATOR_PROFILE).where('c.serial', '=', serial);
  if (request.ca) query = query.where('ca.name', '=', request.ca);
  const rows = await query.execute();
  if (rows.length === 0) throw new QtError('QT_ERR_CERT_NOT_FOUND', `No RA operator certificate has serial ${request.serial}`, { serial });
  if (rows.length > 1) throw new QtError('QT_ERR_INPUT_INVALID', `Serial ${request.serial} is an operator certificate at several CAs; pass the CA`, { serial });
  return revoke(ra, { ca: rows[0]!.ca_name, serial, reason: request.reason ?? 'privilegeWithdrawn', actor: request.actor });
}
