/**
 * TEST SUPPORT ONLY: runs the same validation through validatePath and `openssl verify -attime`, so a test
 * can assert that both reach the same verdict.
 */
import { toPem } from '../../encoding.ts';
import { readCertificate } from '../certificate.ts';
import { validatePath } from '../validate.ts';
import type { PathVerdict, Purpose } from '../types.ts';
import { epoch, opensslResult, type TempDir } from './openssl.ts';

export interface AgreementCase {
  leaf: Uint8Array | string;
  intermediates?: (Uint8Array | string)[];
  anchors: (Uint8Array | string)[];
  at: Date;
  /** Full CRLs (DER); they switch both sides to "require a CRL for every certificate below the anchor". */
  crls?: Uint8Array[];
  purpose?: Purpose;
}

const opensslPurpose: Record<Exclude<Purpose, 'any'>, string> = {
  clientAuth: 'sslclient',
  emailProtection: 'smimesign',
  ocspSigning: 'ocsphelper',
  timeStamping: 'timestampsign',
};

const pemOf = (items: (Uint8Array | string)[]): string => items.map((c) => toPem('CERTIFICATE', readCertificate(c).der)).join('');

export async function bothVerdicts(tmp: TempDir, name: string, c: AgreementCase): Promise<{ ours: PathVerdict; openssl: { ok: boolean; output: string } }> {
  const ours = await validatePath({
    leaf: c.leaf,
    intermediates: c.intermediates,
    trustAnchors: c.anchors,
    at: c.at,
    purpose: c.purpose,
    revocation: c.crls ? { crls: c.crls, mode: 'require' } : undefined,
  });
  // -partial_chain: like validatePath, trust whatever anchors are given, self-signed or not.
  const args = ['verify', '-attime', epoch(c.at), '-partial_chain', '-CAfile', tmp.file(`${name}-anchors.pem`, pemOf(c.anchors))];
  if (c.intermediates?.length) args.push('-untrusted', tmp.file(`${name}-untrusted.pem`, pemOf(c.intermediates)));
  if (c.crls) {
    const pem = c.crls.map((crl) => toPem('X509 CRL', crl)).join('');
    // validatePath checks every certificate below the anchor: that is the leaf alone without intermediates
    // (-crl_check), the whole chain otherwise (-crl_check_all, given the anchor's own CRL as well).
    args.push(c.intermediates?.length ? '-crl_check_all' : '-crl_check', '-CRLfile', tmp.file(`${name}-crls.pem`, pem));
  }
  if (c.purpose && c.purpose !== 'any') args.push('-purpose', opensslPurpose[c.purpose]);
  args.push(tmp.file(`${name}-leaf.pem`, pemOf([c.leaf])));
  const r = opensslResult(args);
  return { ours, openssl: { ok: r.status === 0 && /: OK\n/.test(r.output), output: r.output } };
}
