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
  verifyCertificateDocument,
  verifyCmsDocument,
  verifyCrl,
  verifyOcspResponse,
  verifyXmlDocument,
  type Bytes,
} from '@qoltanba/pki';
import type { Row } from '../../output.ts';
import { documentReport, verdictRow, type TrustOptions, type VerifyReport } from './report.ts';

function noAnchors(): QtError {
  return new QtError('QT_ERR_CHAIN_INCOMPLETE', 'No CA to trust: pass the CA certificate with --ca <file> or a preset with --trust (no local CA was found in the data directory either)');
}

/**
 * Certificates, CMS and XML are judged by the verifier core of @qoltanba/pki — the same one the server's
 * /api/v1/verify and NCANode routes use — so the CLI's verdict is theirs. Input that is not a readable
 * document is reported as a verdict with its code.
 */
export async function verifyDocumentKind(kind: 'certificate' | 'cms' | 'xml', data: Bytes, t: TrustOptions): Promise<VerifyReport> {
  if (t.trustAnchors.length === 0) {
    const error = noAnchors();
    return { ok: false, kind, error, rows: [verdictRow(false, error)], json: { valid: false, kind, error: error.toJSON() } };
  }
  const options = {
    trustAnchors: t.trustAnchors,
    intermediates: t.intermediates,
    at: t.at,
    revocation: t.revocation,
    revocationKinds: t.revocationKinds,
    crls: t.crls,
    ocspResponses: t.ocspResponses,
    revocationSource: t.revocationSource,
    purpose: t.purpose,
    content: t.content,
  };
  try {
    const verdict =
      kind === 'certificate' ? await verifyCertificateDocument(data, options) : kind === 'cms' ? await verifyCmsDocument(data, options) : await verifyXmlDocument(fromUtf8(data), options);
    return documentReport(kind, verdict);
  } catch (e) {
    const error = asQtError(e, kind === 'certificate' ? 'QT_ERR_CERT_MALFORMED' : kind === 'cms' ? 'QT_ERR_CMS_MALFORMED' : 'QT_ERR_XML_MALFORMED');
    return { ok: false, kind, error, rows: [verdictRow(false, error)], json: { valid: false, kind, error: error.toJSON() } };
  }
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
