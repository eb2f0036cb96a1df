/**
 * A signer's chain, judged with revocation: first the path as of the time without revocation (which also
 * says who issued whom), then the evidence for each certificate below the anchor — what the caller brought,
 * else the certificate's own OCSP responder and CRLs through the RevocationSource — then the same path
 * again with that evidence. Addresses are fetched only from certificates that already chain to a trusted
 * anchor, so a stranger's certificate cannot make the verifier call out anywhere.
 */
import { QtError, isQtError } from '@qoltanba/errors';
import type { Bytes } from '../encoding.ts';
import { inspectCertificate } from '../certificate/index.ts';
import { parseCrl, verifyCrl } from '../crl/index.ts';
import { certIdIsFor, computeIssuerHashes, parseOcspResponse, verifyOcspResponse } from '../ocsp/index.ts';
import { PathBudget, validatePath, type PathBudgetLimits, type PathVerdict, type Purpose, type RevocationMode } from '../path/index.ts';
import { namesMatch, readCertificate } from '../path/certificate.ts';
import { evidenceTimeProblem } from '../path/revocation.ts';
import type { RevocationKind, RevocationSource } from './types.ts';

export interface ChainPolicy {
  trustAnchors: readonly Bytes[];
  intermediates: readonly Bytes[];
  at: Date;
  /** `at` is a time-stamp's proven time in the past (see path/'s revocation.pastTime). */
  pastTime?: boolean | undefined;
  purpose: Purpose;
  mode: RevocationMode;
  kinds: readonly RevocationKind[];
  crls: readonly Bytes[];
  ocspResponses: readonly Bytes[];
  source: RevocationSource | undefined;
  /** Fetches left for this document; shared by all its signers. */
  fetches: { left: number; limit: number };
  /** Fetches already made for this document (a CRL shared by several signers is fetched once). */
  fetched: Map<string, Promise<Bytes>>;
  /** The path-building work one signer's chain may cost (both validations together); signers are capped by the limits. */
  pathBudget: PathBudgetLimits | undefined;
}

interface Evidence {
  crls: Bytes[];
  ocsp: Bytes[];
  /** Why what was tried gave no answer, for the verdict when the status stays unknown. */
  notes: string[];
}

/** A chain's verdict, and the CRLs and OCSP responses it was judged with (what CAdES-LT embeds). */
export type ChainVerdict = PathVerdict & { evidence?: { crls: Bytes[]; ocspResponses: Bytes[] } | undefined };

export async function judgeChain(leaf: Bytes, carried: readonly Bytes[], policy: ChainPolicy): Promise<ChainVerdict> {
  // One budget per signer for both validations below: a chain that takes too much work is refused
  // (QT_ERR_PATH_BUDGET_EXCEEDED), and the number of signers per document is capped separately.
  const base = { leaf, at: policy.at, purpose: policy.purpose, budget: new PathBudget(policy.pathBudget) };
  const first = await validatePath({ ...base, intermediates: [...policy.intermediates, ...carried], trustAnchors: policy.trustAnchors });
  if (!first.ok || policy.mode === 'off') return first;

  const supplied = {
    crls: policy.kinds.includes('crl') ? [...policy.crls] : [],
    ocsp: policy.kinds.includes('ocsp') ? [...policy.ocspResponses] : [],
  };
  const crls = [...supplied.crls];
  const ocsp = [...supplied.ocsp];
  const notes: string[][] = first.chain.map(() => []);
  for (let i = 0; i < first.chain.length - 1; i++) {
    const cert = (first.chain[i] as (typeof first.chain)[number]).certificate;
    const issuer = (first.chain[i + 1] as (typeof first.chain)[number]).certificate;
    if (await settledBySupplied(supplied, cert, issuer, policy)) continue;
    // The chosen kinds are for the signer's certificate; a CA certificate is checked with what it names
    // (usually only its parent's CRL), or no chain with OCSP-only checking could ever be valid.
    const found = await gather(cert, issuer, i === 0 ? policy : { ...policy, kinds: ['ocsp', 'crl'] });
    crls.push(...found.crls);
    ocsp.push(...found.ocsp);
    notes[i] = found.notes;
  }
  const anchor = first.chain[first.chain.length - 1] as (typeof first.chain)[number];
  const second = await validatePath({
    ...base,
    // The path found above, and only it: the evidence was gathered for these issuers.
    intermediates: first.chain.slice(1, -1).map((e) => e.certificate),
    trustAnchors: [anchor.certificate],
    revocation: { crls, ocspResponses: ocsp, mode: policy.mode, pastTime: policy.pastTime },
  });
  return { ...withNotes(second, notes), evidence: { crls, ocspResponses: ocsp } };
}

/** When the status stays unknown, the verdict says what was tried and why it gave no answer. */
function withNotes(verdict: PathVerdict, notes: string[][]): PathVerdict {
  verdict.chain.forEach((e, i) => {
    const n = notes[i];
    if (n?.length && (e.revocation.status === 'unknown' || e.revocation.status === 'unchecked')) {
      e.revocation = { ...e.revocation, detail: [e.revocation.detail, ...n].filter(Boolean).join('; ') };
    }
  });
  const error = verdict.error;
  if (error?.code !== 'QT_ERR_REVOCATION_UNKNOWN') return verdict;
  const index = error.details?.['index'];
  const n = typeof index === 'number' ? notes[index] : undefined;
  if (!n?.length) return verdict;
  return { ...verdict, error: new QtError(error.code, `${error.message}; ${n.join('; ')}`, { ...error.details, tried: n }) };
}

async function gather(certificate: Bytes, issuer: Bytes, policy: ChainPolicy): Promise<Evidence> {
  const out: Evidence = { crls: [], ocsp: [], notes: [] };
  if (!policy.source) return out;
  let urls;
  try {
    urls = inspectCertificate(certificate).urls;
  } catch (e) {
    out.notes.push(`its OCSP and CRL addresses cannot be read (${isQtError(e) ? e.message : String(e)})`);
    return out;
  }
  const ocspUrls = policy.kinds.includes('ocsp') ? urls.ocsp.filter(fetchable) : [];
  const crlUrls = policy.kinds.includes('crl') ? urls.crl.filter(fetchable) : [];
  if (ocspUrls.length + crlUrls.length === 0) {
    out.notes.push(`the certificate names no ${policy.kinds.map((k) => (k === 'ocsp' ? 'OCSP responder' : 'CRL')).join(' or ')} reachable over HTTP`);
    return out;
  }
  for (const url of ocspUrls) {
    const answer = await attempt(policy, `OCSP ${url}`, out.notes, () => (policy.source as RevocationSource).fetchOcsp(url, { certificate, issuer }));
    if (!answer) continue;
    const why = await ocspProblem(answer, certificate, issuer, policy);
    if (!why) {
      out.ocsp.push(answer);
      return out;
    }
    out.notes.push(`OCSP ${url}: ${why}`);
  }
  const issuerName = readCertificate(certificate).issuerDer;
  for (const url of crlUrls) {
    const crl = await crlFrom(url, issuerName, policy, out.notes);
    if (!crl) continue;
    out.crls.push(crl);
    for (const delta of urls.deltaCrl.filter(fetchable)) {
      const d = await crlFrom(delta, issuerName, policy, out.notes);
      if (d) {
        out.crls.push(d);
        break;
      }
    }
    break;
  }
  return out;
}

function fetchable(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

async function crlFrom(url: string, issuerName: Bytes, policy: ChainPolicy, notes: string[]): Promise<Bytes | undefined> {
  const bytes = await attempt(policy, `CRL ${url}`, notes, () => {
    let pending = policy.fetched.get(url);
    if (!pending) policy.fetched.set(url, (pending = (policy.source as RevocationSource).fetchCrl(url)));
    return pending;
  });
  if (!bytes) return undefined;
  try {
    const crl = parseCrl(bytes);
    if (!namesMatch(crl.issuer.der, issuerName)) {
      notes.push(`CRL ${url}: it is the CRL of "${crl.issuer.display}", not of this certificate's issuer`);
      return undefined;
    }
    return bytes;
  } catch (e) {
    notes.push(`CRL ${url}: ${isQtError(e) ? `${e.code}: ${e.message}` : String(e)}`);
    return undefined;
  }
}

async function attempt(policy: ChainPolicy, what: string, notes: string[], fetch: () => Promise<Bytes>): Promise<Bytes | undefined> {
  if (policy.fetches.left <= 0) {
    notes.push(`${what}: not fetched, the limit of ${policy.fetches.limit} revocation lookups per document was reached`);
    return undefined;
  }
  policy.fetches.left--;
  try {
    return await fetch();
  } catch (e) {
    notes.push(`${what}: ${isQtError(e) ? e.message : `failed (${(e as Error).message})`}`);
    return undefined;
  }
}

/**
 * Does evidence the caller brought settle the certificate's status — an OCSP response that verifies and is
 * current and speaks about it, or a current CRL its issuer signed? Then nothing is fetched for it.
 */
async function settledBySupplied(supplied: { crls: Bytes[]; ocsp: Bytes[] }, certificate: Bytes, issuer: Bytes, policy: ChainPolicy): Promise<boolean> {
  for (const r of supplied.ocsp) if (!(await ocspProblem(r, certificate, issuer, policy))) return true;
  for (const c of supplied.crls) {
    try {
      if (!policy.pastTime) {
        await verifyCrl(c, issuer, { at: policy.at });
        return true;
      }
      const crl = await verifyCrl(c, issuer);
      if (!evidenceTimeProblem(crl, readCertificate(certificate), policy.at)) return true;
    } catch {
      // not this one; path validation reports unusable evidence in the verdict
    }
  }
  return false;
}

/** Why this OCSP response cannot decide the certificate's status; undefined when it can. */
async function ocspProblem(response: Bytes, certificate: Bytes, issuer: Bytes, policy: ChainPolicy): Promise<string | undefined> {
  try {
    const parsed = parseOcspResponse(response);
    const cert = readCertificate(certificate);
    const serial = cert.serial;
    const hashes = await computeIssuerHashes(issuer);
    const single = parsed.basic?.responses.find((r) => r.certId.serial === serial && certIdIsFor(r.certId, hashes));
    if (parsed.basic && !single) return 'the response does not speak about this certificate';
    if (policy.pastTime && single) {
      // For a proven past time: checked as of when it was made, then whether it can speak for that time.
      const late = evidenceTimeProblem(single, cert, policy.at);
      if (late) return late;
    }
    const at = policy.pastTime && parsed.basic ? parsed.basic.producedAt : policy.at;
    const verdict = await verifyOcspResponse(parsed, { issuer, at });
    const status = verdict.responses.find((r) => r.certId.serial === serial)?.status;
    return status === 'unknown' ? 'the responder does not know this certificate' : undefined;
  } catch (e) {
    return isQtError(e) ? `${e.code}: ${e.message}` : String(e);
  }
}
