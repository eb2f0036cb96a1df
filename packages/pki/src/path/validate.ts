/**
 * validatePath: build chains from the leaf to a trust anchor (bounded, best first) and validate them as of a
 * time — RFC 5280 §6.1 (checks.ts) and revocation (§6.3, revocation.ts) — until one passes or the budget
 * runs out. It never throws for a bad certificate or chain; the verdict carries the precise QtError.
 */
import { QtError, asQtError, isQtError } from '@qoltanba/errors';
import { bytesEqual } from '../encoding.ts';
import { checkDate } from '../der/write.ts';
import { readCertificateMemo, type CertificateFacts, type CertificateInput } from './certificate.ts';
import { budgetFrom, type PathBudget } from './budget.ts';
import { distinct, PathBuilder, type BuildOutcome } from './build.ts';
import { checkPath, failure } from './checks.ts';
import type { PolicyInputs } from './policies.ts';
import type { Profile } from './profile.ts';
import { readEvidence, revocationOf, type RevocationContext, type RevocationEvidence } from './revocation.ts';
import { SignatureChecks } from './signatures.ts';
import type { ChainElement, PathVerdict, Purpose, RevocationMode, RevocationVerdict, ValidatePathOptions } from './types.ts';

/** A CRL signer's path may itself need a CRL signer's path validated; deeper than this is refused. */
const MAX_CRL_SIGNER_DEPTH = 2;

interface Run {
  at: Date;
  pastTime: boolean;
  mode: RevocationMode;
  profile: Profile;
  budget: PathBudget;
  signatures: SignatureChecks;
  builder: PathBuilder;
  evidence: RevocationEvidence;
  /** CRL signers already judged in this call, per trust anchor. */
  signerVerdicts: Map<CertificateFacts, Map<CertificateFacts, Promise<string | undefined>>>;
  /** CRL signers being judged right now (a signer whose own status depends on itself is refused). */
  signersInProgress: Set<CertificateFacts>;
}

interface Goal {
  purpose: Purpose;
  policy: PolicyInputs;
  /** Only paths ending at this anchor count (a CRL signer must chain to the certificate's own anchor). */
  anchor?: CertificateFacts | undefined;
  depth: number;
}

export async function validatePath(options: ValidatePathOptions): Promise<PathVerdict> {
  let budget: PathBudget;
  let leaf: CertificateFacts;
  let intermediates: CertificateFacts[];
  let anchors: CertificateFacts[];
  let evidence: RevocationEvidence;
  let at: Date;
  try {
    budget = budgetFrom(options.budget);
    at = checkDate(options.at, 'at');
    const inputs = options.intermediates ?? [];
    budget.spend('certificates', 1 + inputs.length + options.trustAnchors.length);
    anchors = distinct(options.trustAnchors.map((c) => readCertificateMemo(c)));
    leaf = readCertificateMemo(options.leaf);
    leaf = anchors.find((a) => bytesEqual(a.der, leaf.der)) ?? leaf;
    intermediates = distinct(inputs.map((c: CertificateInput) => readCertificateMemo(c)), anchors);
    evidence = readEvidence(options.revocation?.crls, options.revocation?.ocspResponses);
  } catch (e) {
    return { ok: false, chain: [], error: asQtError(e, 'QT_ERR_INPUT_INVALID') };
  }
  const signatures = new SignatureChecks(budget);
  const run: Run = {
    at,
    pastTime: options.revocation?.pastTime === true,
    mode: options.revocation?.mode ?? 'off',
    profile: options.profile ?? 'strict',
    budget,
    signatures,
    builder: new PathBuilder({ anchors, intermediates, at, budget, signatures }),
    evidence,
    signerVerdicts: new Map(),
    signersInProgress: new Set(),
  };
  const verdict = await validateFrom(leaf, run, { purpose: options.purpose ?? 'any', policy: options.policy ?? {}, depth: 0 });
  return { ...verdict, work: budget.spent() };
}

async function validateFrom(leaf: CertificateFacts, run: Run, goal: Goal): Promise<PathVerdict> {
  const outcome: BuildOutcome = { longestPartial: [leaf], badSignature: undefined };
  let firstFailure: PathVerdict | undefined;
  try {
    for await (const path of run.builder.paths(leaf, outcome)) {
      if (goal.anchor && path[path.length - 1] !== goal.anchor) continue;
      run.budget.spend('candidatePaths');
      const verdict = await validateOne(path, run, goal);
      if (verdict.ok) return verdict;
      firstFailure ??= verdict;
    }
  } catch (e) {
    // Out of budget: the whole call is refused, so a CRL signer's search passes it up rather than answering.
    if (!isQtError(e, 'QT_ERR_PATH_BUDGET_EXCEEDED') || goal.depth > 0) throw e;
    return { ok: false, chain: firstFailure?.chain ?? outcome.longestPartial.map((c) => element(c, false)), error: e };
  }
  if (firstFailure) return firstFailure;
  const bad = outcome.badSignature;
  if (bad) {
    const cert = bad.path[bad.path.length - 1] as CertificateFacts;
    const chain = [...bad.path, bad.issuer].map((c) => element(c, run.builder.isAnchor(c)));
    const error = bad.error
      ? failure(bad.error.code, `The signature on "${cert.subject}" cannot be checked with the key of "${bad.issuer.subject}": ${bad.error.message}`, bad.path.length - 1, cert)
      : failure('QT_ERR_SIGNATURE_INVALID', `The signature on "${cert.subject}" does not verify with the key of "${bad.issuer.subject}"`, bad.path.length - 1, cert);
    return { ok: false, chain, error };
  }
  const partial = outcome.longestPartial;
  const top = partial[partial.length - 1] as CertificateFacts;
  const error = new QtError(
    'QT_ERR_CHAIN_INCOMPLETE',
    `The issuer of "${top.subject}" ("${top.issuer}") is neither a trust anchor nor among the intermediate certificates`,
    { index: partial.length - 1, subject: top.subject, missingIssuer: top.issuer },
  );
  return { ok: false, chain: partial.map((c) => element(c, false)), error };
}

async function validateOne(path: CertificateFacts[], run: Run, goal: Goal): Promise<PathVerdict> {
  const chain = path.map((c, i) => element(c, i === path.length - 1));
  try {
    const policy = await checkPath(path, { at: run.at, purpose: goal.purpose, profile: run.profile, policy: goal.policy, budget: run.budget, signatures: run.signatures });
    if (run.mode === 'off') return { ok: true, chain, policy };
    const ctx = revocationContext(run, goal);
    // Top-down: a revoked CA makes everything below it moot.
    for (let i = path.length - 2; i >= 0; i--) {
      const cert = path[i] as CertificateFacts;
      const revocation = await revocationOf(path, i, ctx);
      (chain[i] as ChainElement).revocation = revocation;
      const error = revocationFailure(revocation, cert, i, run.mode);
      if (error) return { ok: false, chain, error };
    }
    return { ok: true, chain, policy };
  } catch (e) {
    if (isQtError(e, 'QT_ERR_PATH_BUDGET_EXCEEDED')) throw e;
    return { ok: false, chain, error: asQtError(e, 'QT_ERR_CHAIN_INVALID') };
  }
}

function revocationContext(run: Run, goal: Goal): RevocationContext {
  return {
    at: run.at,
    pastTime: run.pastTime,
    evidence: run.evidence,
    signatures: run.signatures,
    budget: run.budget,
    withSubject: (key) => run.builder.withSubject(key),
    validateCrlSigner(signer, anchor) {
      // A CRL signer whose own certificate is covered by a CRL it signed (an indirect CRL issuer listing itself,
      // PKITS 4.14.30): its path is being validated right now, and its key is only trusted for its own status.
      if (run.signersInProgress.has(signer)) return Promise.resolve(undefined);
      const byAnchor = run.signerVerdicts.get(signer) ?? new Map<CertificateFacts, Promise<string | undefined>>();
      run.signerVerdicts.set(signer, byAnchor);
      const known = byAnchor.get(anchor);
      if (known) return known;
      if (goal.depth >= MAX_CRL_SIGNER_DEPTH) return Promise.resolve('the CRL signers are nested too deeply');
      run.signersInProgress.add(signer);
      const verdict = validateFrom(signer, run, { purpose: 'any', policy: {}, anchor, depth: goal.depth + 1 })
        .then((v) => (v.ok ? undefined : (v.error?.message ?? 'it is not valid')))
        .finally(() => run.signersInProgress.delete(signer));
      byAnchor.set(anchor, verdict);
      return verdict;
    },
  };
}

function revocationFailure(r: RevocationVerdict, cert: CertificateFacts, i: number, mode: RevocationMode): QtError | undefined {
  const when = r.revokedAt ? ` since ${r.revokedAt.toISOString()}` : '';
  const by = r.source === 'ocsp' ? 'the OCSP responder' : 'the CRL';
  if (r.status === 'revoked' && r.reason === 'certificateHold' && !r.detail) {
    return failure('QT_ERR_CERT_ON_HOLD', `"${cert.subject}" is suspended (on hold)${when}, according to ${by}`, i, cert);
  }
  if (r.status === 'revoked') {
    const why = r.detail ?? `revoked${r.reason ? ` (${r.reason})` : ''}${when}`;
    return failure('QT_ERR_CERT_REVOKED', `"${cert.subject}": ${why}, according to ${by}`, i, cert);
  }
  if (mode === 'require' && r.status !== 'good') {
    const why = r.detail ?? 'no CRL or OCSP response for it was supplied';
    return failure('QT_ERR_REVOCATION_UNKNOWN', `The revocation status of "${cert.subject}" is unknown: ${why}`, i, cert);
  }
  return undefined;
}

function element(c: CertificateFacts, trustAnchor: boolean): ChainElement {
  return {
    subject: c.subject,
    issuer: c.issuer,
    serial: c.serial,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    trustAnchor,
    revocation: { status: 'unchecked' },
    certificate: c.der,
  };
}
