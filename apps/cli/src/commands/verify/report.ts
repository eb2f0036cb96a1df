/** The shape every kind of verification reports in, and how a document verdict reads for people. */
import { describeVerdict, type DocumentVerdict, type Purpose, type QtError, type RevocationKind, type RevocationSource, type VerifiableKind } from '@qoltanba/pki';
import type { Row } from '../../output.ts';

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
  revocationKinds: RevocationKind[] | undefined;
  /** Fetches the certificates' own OCSP/CRL addresses; undefined with --offline. */
  revocationSource: RevocationSource | undefined;
  purpose: Exclude<Purpose, 'ocspSigning'>;
  content: Uint8Array | undefined;
}

/** A certificate's, a CMS's or an XML's verdict: the core's JSON, and rows for people. */
export function documentReport(kind: 'certificate' | 'cms' | 'xml', verdict: DocumentVerdict): VerifyReport {
  const d = describeVerdict(verdict);
  const rows: Row[] = [verdictRow(verdict.valid, verdict.error), ['Checked as of', d.at]];
  if (d.cms) rows.push(['Signature', `CMS ${d.cms.attached ? 'attached' : 'detached'}, ${d.signers.length} signer(s), content ${d.cms.contentBytes ?? 0} bytes`]);
  if (d.xml) rows.push(['Signature', `XMLDSig, ${d.xml.signatures} signature(s), ${d.xml.references} reference(s)`]);
  for (const [i, s] of d.signers.entries()) {
    const prefix = kind === 'certificate' ? '' : d.signers.length > 1 ? `Signer ${i + 1} ` : 'Signer ';
    const c = s.certificate;
    if (kind !== 'certificate') rows.push([`${prefix}signed at (claimed)`, s.signingTime], [`${prefix}algorithm`, s.signatureAlgorithm]);
    if (s.level) rows.push([`${prefix}CAdES level`, s.level]);
    for (const [j, t] of (s.timeStamps ?? []).entries()) {
      const what = t.kind === 'signature' ? 'signature time-stamp' : 'archive time-stamp';
      const verdict = t.valid ? 'valid' : `NOT VALID — ${t.error?.code}: ${t.error?.message}`;
      rows.push([`${prefix}Time-stamp ${j + 1}`, `${what} at ${t.genTime ?? '?'} by ${t.tsa?.subject ?? 'an unknown TSA'} (${t.hashAlgorithm ?? '?'}): ${verdict}`]);
    }
    if (s.judgedAt) rows.push([`${prefix}Judged as of`, `${s.judgedAt.time} — ${s.judgedAt.reason}`]);
    if (c) {
      rows.push(
        [`${prefix}Subject`, c.subject],
        [`${prefix}Name`, c.name],
        [`${prefix}IIN`, c.iin],
        [`${prefix}BIN`, c.bin],
        [`${prefix}Organization`, c.organization],
        [`${prefix}Kind`, `${c.kind}${c.holder ? ` (${c.holder})` : ''}`],
        [`${prefix}Roles`, c.roles.join(', ')],
        [`${prefix}Key`, c.keyAlgorithm],
        [`${prefix}Signed with`, c.signatureAlgorithm],
        [`${prefix}Serial`, c.serial],
        [`${prefix}Valid`, `${c.notBefore} … ${c.notAfter}`],
        [`${prefix}Issuer`, c.issuer],
      );
    }
    const leaf = s.chain[0]?.revocation;
    rows.push(
      [`${prefix}Chain`, s.chain.map((e) => e.subject).join(' → ')],
      [
        `${prefix}Revocation`,
        leaf
          ? `${leaf.status}${leaf.source ? ` (${leaf.source})` : ''}${leaf.reason ? `, ${leaf.reason}` : ''}${leaf.revokedAt ? ` since ${leaf.revokedAt}` : ''}${leaf.detail ? ` — ${leaf.detail}` : ''}`
          : undefined,
      ],
    );
  }
  return { ok: verdict.valid, kind, error: verdict.error, rows, json: d };
}

export function verdictRow(ok: boolean, error: QtError | undefined): Row {
  return ['Verdict', ok ? 'VALID' : `NOT VALID — ${error ? `${error.code}: ${error.message}` : 'unknown reason'}`];
}
