/** The shape every kind of verification reports in, and how a certificate is described in it. */
import { inspectCertificate, type PathVerdict, type QtError } from '@qoltanba/pki';
import type { Row } from '../../output.ts';
import type { VerifiableKind } from './detect.ts';

export interface VerifyReport {
  ok: boolean;
  kind: VerifiableKind;
  error?: QtError | undefined;
  rows: Row[];
  json: Record<string, unknown>;
}

export interface TrustOptions {
  trustAnchors: Uint8Array[];
  intermediates: Uint8Array[];
  at: Date;
  crls: Uint8Array[];
  ocspResponses: Uint8Array[];
  revocation: 'off' | 'prefer' | 'require';
  purpose: 'any' | 'clientAuth' | 'emailProtection';
  content: Uint8Array | undefined;
}

/** Who a certificate belongs to and what it is, as a relying party reads it. */
export function describeCertificate(der: Uint8Array, prefix = ''): { rows: Row[]; json: Record<string, unknown> } {
  const c = inspectCertificate(der);
  const name = [c.kz.surname, c.kz.name, c.kz.patronymic].filter(Boolean).join(' ') || c.kz.commonName;
  const json = {
    subject: c.subject.display,
    issuer: c.issuer.display,
    serial: c.serialHex,
    name,
    iin: c.kz.iin,
    bin: c.kz.bin,
    organization: c.kz.organization,
    holder: c.holder,
    kind: c.kind,
    roles: c.roles.map((r) => r.name),
    profile: c.profile,
    identification: c.identification,
    keyAlgorithm: c.publicKey.bits ? `${c.publicKey.algorithm}-${c.publicKey.bits}` : c.publicKey.algorithm,
    signatureAlgorithm: c.signatureAlgorithm.name,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    emails: c.emails,
  };
  const rows: Row[] = [
    [`${prefix}Subject`, json.subject],
    [`${prefix}Name`, name],
    [`${prefix}IIN`, json.iin],
    [`${prefix}BIN`, json.bin],
    [`${prefix}Organization`, json.organization],
    [`${prefix}Kind`, `${c.kind}${c.holder ? ` (${c.holder})` : ''}`],
    [`${prefix}Roles`, json.roles.join(', ')],
    [`${prefix}Key`, json.keyAlgorithm],
    [`${prefix}Signed with`, json.signatureAlgorithm],
    [`${prefix}Serial`, json.serial],
    [`${prefix}Valid`, `${json.notBefore} … ${json.notAfter}`],
    [`${prefix}Issuer`, json.issuer],
  ];
  return { rows, json };
}

/** The chain verdict as rows and JSON: the path, and each certificate's revocation status. */
export function describeVerdict(verdict: PathVerdict, prefix = ''): { rows: Row[]; json: Record<string, unknown> } {
  const chain = verdict.chain.map((e) => ({
    subject: e.subject,
    serial: e.serial,
    trustAnchor: e.trustAnchor,
    revocation: e.revocation.status,
    source: e.revocation.source,
    reason: e.revocation.reason,
    revokedAt: e.revocation.revokedAt?.toISOString(),
    detail: e.revocation.detail,
  }));
  const leaf = verdict.chain[0]?.revocation;
  const revocation = leaf
    ? `${leaf.status}${leaf.source ? ` (${leaf.source})` : ''}${leaf.reason ? `, ${leaf.reason}` : ''}${leaf.revokedAt ? ` since ${leaf.revokedAt.toISOString()}` : ''}${leaf.detail ? ` — ${leaf.detail}` : ''}`
    : undefined;
  return {
    rows: [
      [`${prefix}Chain`, verdict.chain.map((e) => e.subject).join(' → ')],
      [`${prefix}Revocation`, revocation],
    ],
    json: { chain, error: verdict.error?.toJSON() },
  };
}

export function verdictRow(ok: boolean, error: QtError | undefined): Row {
  return ['Verdict', ok ? 'VALID' : `NOT VALID — ${error ? `${error.code}: ${error.message}` : 'unknown reason'}`];
}
