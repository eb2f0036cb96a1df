/** One verification per kind of object; each gathers what a relying party needs and never throws for bad input. */
import {
  QtError,
  asQtError,
  computeIssuerHashes,
  certIdIsFor,
  fromUtf8,
  inspectCertificate,
  parseCrl,
  parseOcspResponse,
  validatePath,
  verifyCms,
  verifyCrl,
  verifyOcspResponse,
  verifyXml,
  PathBudget,
  type Bytes,
  type PathVerdict,
} from '@qoltanba/pki';
import type { Row } from '../../output.ts';
import { describeCertificate, describeVerdict, verdictRow, type TrustOptions, type VerifyReport } from './report.ts';

function noAnchors(): QtError {
  return new QtError('QT_ERR_CHAIN_INCOMPLETE', 'No CA to trust: pass the CA certificate with --ca <file> (no local CA was found in the data directory either)');
}

async function chainOf(leaf: Uint8Array, t: TrustOptions, extra: readonly Uint8Array[] = [], budget?: PathBudget): Promise<PathVerdict> {
  if (t.trustAnchors.length === 0) return { ok: false, chain: [], error: noAnchors() };
  return validatePath({
    budget,
    leaf,
    intermediates: [...t.intermediates, ...extra],
    trustAnchors: t.trustAnchors,
    at: t.at,
    revocation: { crls: t.crls, ocspResponses: t.ocspResponses, mode: t.revocation },
    purpose: t.purpose,
  });
}

export async function verifyCertificateKind(der: Bytes, t: TrustOptions): Promise<VerifyReport> {
  const cert = describeCertificate(der);
  const verdict = await chainOf(der, t);
  const chain = describeVerdict(verdict);
  return {
    ok: verdict.ok,
    kind: 'certificate',
    error: verdict.error,
    rows: [verdictRow(verdict.ok, verdict.error), ['Checked as of', t.at.toISOString()], ...cert.rows, ...chain.rows],
    json: { certificate: cert.json, ...chain.json },
  };
}

export async function verifyCmsKind(data: Bytes, t: TrustOptions): Promise<VerifyReport> {
  // One budget for the whole document: every signer and every chain draws on it.
  const budget = new PathBudget();
  let cms;
  try {
    cms = await verifyCms(data, { content: t.content, budget });
  } catch (e) {
    const error = asQtError(e, 'QT_ERR_CMS_MALFORMED');
    return { ok: false, kind: 'cms', error, rows: [verdictRow(false, error)], json: {} };
  }
  const rows: Row[] = [
    ['Signature', `CMS ${cms.attached ? 'attached' : 'detached'}, ${cms.signers.length} signer(s), content ${cms.content?.length ?? 0} bytes`],
  ];
  const signers: Record<string, unknown>[] = [];
  let ok = true;
  let firstError: QtError | undefined;
  for (const [i, s] of cms.signers.entries()) {
    const prefix = cms.signers.length > 1 ? `Signer ${i + 1} ` : 'Signer ';
    const cert = describeCertificate(s.certificate, prefix);
    const verdict = await chainOf(s.certificate, t, cms.certificates, budget);
    const chain = describeVerdict(verdict, prefix);
    ok &&= verdict.ok;
    firstError ??= verdict.error;
    rows.push([`${prefix}signed at (claimed)`, s.signingTime?.toISOString()], [`${prefix}algorithm`, s.signatureAlgorithm.name], ...cert.rows, ...chain.rows);
    signers.push({ signingTime: s.signingTime?.toISOString(), signatureAlgorithm: s.signatureAlgorithm.name, certificate: cert.json, ...chain.json });
  }
  return {
    ok,
    kind: 'cms',
    error: firstError,
    rows: [verdictRow(ok, firstError), ['Checked as of', t.at.toISOString()], ...rows],
    json: { attached: cms.attached, contentBytes: cms.content?.length, signers },
  };
}

export async function verifyXmlKind(data: Bytes, t: TrustOptions): Promise<VerifyReport> {
  const budget = new PathBudget();
  let xml;
  try {
    xml = await verifyXml(fromUtf8(data), { budget });
  } catch (e) {
    const error = asQtError(e, 'QT_ERR_XML_MALFORMED');
    return { ok: false, kind: 'xml', error, rows: [verdictRow(false, error)], json: {} };
  }
  const cert = describeCertificate(xml.certificate, 'Signer ');
  const verdict = await chainOf(xml.certificate, t, xml.certificates, budget);
  const chain = describeVerdict(verdict, 'Signer ');
  return {
    ok: verdict.ok,
    kind: 'xml',
    error: verdict.error,
    rows: [
      verdictRow(verdict.ok, verdict.error),
      ['Checked as of', t.at.toISOString()],
      ['Signature', `XMLDSig ${xml.signatureAlgorithm.name}, ${xml.signatures.length} signature(s), ${xml.references.length} reference(s)`],
      ...cert.rows,
      ...chain.rows,
    ],
    json: { signatureAlgorithm: xml.signatureAlgorithm.name, signatures: xml.signatures.length, signer: cert.json, ...chain.json },
  };
}

/** A CRL is checked against the CA (among --ca and --untrusted) whose subject is the CRL's issuer. */
export async function verifyCrlKind(data: Bytes, t: TrustOptions): Promise<VerifyReport> {
  let crl;
  try {
    crl = parseCrl(data);
  } catch (e) {
    const error = asQtError(e, 'QT_ERR_CRL_MALFORMED');
    return { ok: false, kind: 'crl', error, rows: [verdictRow(false, error)], json: {} };
  }
  const candidates = [...t.trustAnchors, ...t.intermediates].filter((c) => inspectCertificate(c).subject.display === crl.issuer.display);
  let error: QtError | undefined = candidates.length ? undefined : new QtError('QT_ERR_CHAIN_INCOMPLETE', `The CA "${crl.issuer.display}" that issued this CRL was not given (--ca or --untrusted)`);
  for (const ca of candidates) {
    try {
      await verifyCrl(crl, ca, { at: t.at });
      error = undefined;
      break;
    } catch (e) {
      error = asQtError(e, 'QT_ERR_CRL_MALFORMED');
    }
  }
  const ok = error === undefined;
  const json = {
    issuer: crl.issuer.display,
    crlNumber: crl.crlNumber?.toString(),
    deltaOf: crl.deltaCrlIndicator?.toString(),
    thisUpdate: crl.thisUpdate.toISOString(),
    nextUpdate: crl.nextUpdate?.toISOString(),
    entries: crl.entryCount,
    signatureAlgorithm: crl.signatureAlgorithm.name,
    error: error?.toJSON(),
  };
  return {
    ok,
    kind: 'crl',
    error,
    rows: [
      verdictRow(ok, error),
      ['Checked as of', t.at.toISOString()],
      ['Issuer', json.issuer],
      ['Type', json.deltaOf ? `delta CRL (base ${json.deltaOf})` : 'full CRL'],
      ['CRL number', json.crlNumber],
      ['This update', json.thisUpdate],
      ['Next update', json.nextUpdate],
      ['Revoked entries', json.entries],
      ['Signed with', json.signatureAlgorithm],
    ],
    json,
  };
}

/** An OCSP response is checked against the CA its certIDs name (found by issuer name and key hashes). */
export async function verifyOcspKind(data: Bytes, t: TrustOptions): Promise<VerifyReport> {
  let parsed;
  try {
    parsed = parseOcspResponse(data);
  } catch (e) {
    const error = asQtError(e, 'QT_ERR_OCSP_MALFORMED');
    return { ok: false, kind: 'ocsp', error, rows: [verdictRow(false, error)], json: {} };
  }
  if (!parsed.basic) {
    const error = new QtError('QT_ERR_OCSP_UNSUCCESSFUL', `The responder answered "${parsed.status}"`);
    return { ok: false, kind: 'ocsp', error, rows: [verdictRow(false, error)], json: { status: parsed.status } };
  }
  const first = parsed.basic.responses[0];
  let issuer: Uint8Array | undefined;
  for (const ca of [...t.trustAnchors, ...t.intermediates]) {
    if (first && certIdIsFor(first.certId, await computeIssuerHashes(ca))) {
      issuer = ca;
      break;
    }
  }
  let error: QtError | undefined;
  let responses = parsed.basic.responses;
  let responder: string | undefined;
  if (!issuer) {
    error = new QtError('QT_ERR_CHAIN_INCOMPLETE', 'The CA this OCSP response speaks about was not given (--ca or --untrusted)');
  } else {
    try {
      const v = await verifyOcspResponse(data, { issuer, at: t.at });
      responses = v.responses;
      responder = `${v.responder.subject}${v.responder.delegated ? ' (delegated)' : ' (the CA itself)'}`;
    } catch (e) {
      error = asQtError(e, 'QT_ERR_OCSP_MALFORMED');
    }
  }
  const statuses = responses.map((r) => ({
    serial: r.certId.serial,
    status: r.status,
    reason: r.status === 'revoked' ? r.reason : undefined,
    revokedAt: r.status === 'revoked' ? r.revokedAt.toISOString() : undefined,
    thisUpdate: r.thisUpdate.toISOString(),
    nextUpdate: r.nextUpdate?.toISOString(),
  }));
  const ok = error === undefined;
  return {
    ok,
    kind: 'ocsp',
    error,
    rows: [
      verdictRow(ok, error),
      ['Checked as of', t.at.toISOString()],
      ['Produced at', parsed.basic.producedAt.toISOString()],
      ['Responder', responder ?? ('name' in parsed.basic.responderId ? parsed.basic.responderId.name.display : 'by key hash')],
      ...statuses.flatMap((s): Row[] => [
        ['Serial', s.serial],
        ['Status', `${s.status}${s.reason ? `, ${s.reason}` : ''}${s.revokedAt ? ` since ${s.revokedAt}` : ''}`],
        ['Valid', `${s.thisUpdate} … ${s.nextUpdate ?? '(no nextUpdate)'}`],
      ]),
    ],
    json: { producedAt: parsed.basic.producedAt.toISOString(), responder, responses: statuses, error: error?.toJSON() },
  };
}
