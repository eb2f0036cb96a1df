/**
 * The work one verification may do, so input from strangers cannot stall a verifier: signature checks
 * (the expensive step, ~3 ms each for GOST 34.10-2015 512), candidate paths tried, nodes of the policy
 * tree (which mappings can make grow exponentially) and certificates considered. One budget can be
 * shared by several calls — every signer of a CMS or XML document draws on the same one — and running
 * out is QT_ERR_PATH_BUDGET_EXCEEDED, a refusal, never a partial "valid".
 */
import { QtError } from '@qoltanba/errors';

export interface PathBudgetLimits {
  /** Signature verifications (certificates, CRLs, OCSP responses, CMS/XML signers). Default 100. */
  maxSignatureChecks?: number | undefined;
  /** Complete candidate paths (leaf to trust anchor) validated. Default 16. */
  maxCandidatePaths?: number | undefined;
  /** Nodes of the RFC 5280 valid_policy_tree, over all paths tried. Default 1 000. */
  maxPolicyNodes?: number | undefined;
  /** Certificates read (leaf, intermediates, anchors, certificates embedded in a CMS or XML). Default 1 000. */
  maxCertificates?: number | undefined;
  /** Issuer candidates the path builder may consider (its steps, cheap but possibly combinatorial). Default 10 000. */
  maxBuildSteps?: number | undefined;
}

export const defaultPathBudget: Readonly<Required<PathBudgetLimits>> = {
  maxSignatureChecks: 100,
  maxCandidatePaths: 16,
  maxPolicyNodes: 1_000,
  maxCertificates: 1_000,
  maxBuildSteps: 10_000,
};

type Counter = 'signatureChecks' | 'candidatePaths' | 'policyNodes' | 'certificates' | 'buildSteps';

const limitOf: Record<Counter, keyof PathBudgetLimits> = {
  signatureChecks: 'maxSignatureChecks',
  candidatePaths: 'maxCandidatePaths',
  policyNodes: 'maxPolicyNodes',
  certificates: 'maxCertificates',
  buildSteps: 'maxBuildSteps',
};

const words: Record<Counter, string> = {
  signatureChecks: 'signature checks',
  candidatePaths: 'candidate paths',
  policyNodes: 'policy tree nodes',
  certificates: 'certificates',
  buildSteps: 'path-building steps',
};

export class PathBudget {
  readonly limits: Readonly<Required<PathBudgetLimits>>;
  private readonly used: Record<Counter, number> = { signatureChecks: 0, candidatePaths: 0, policyNodes: 0, certificates: 0, buildSteps: 0 };

  constructor(limits: PathBudgetLimits = {}) {
    const pick = (k: keyof PathBudgetLimits): number => {
      const v = limits[k] ?? defaultPathBudget[k];
      if (!Number.isInteger(v) || v < 0) throw new QtError('QT_ERR_INPUT_INVALID', `The path budget ${k} must be a whole number ≥ 0`);
      return v;
    };
    this.limits = {
      maxSignatureChecks: pick('maxSignatureChecks'),
      maxCandidatePaths: pick('maxCandidatePaths'),
      maxPolicyNodes: pick('maxPolicyNodes'),
      maxCertificates: pick('maxCertificates'),
      maxBuildSteps: pick('maxBuildSteps'),
    };
  }

  /** Takes `n` units of `what`, or throws QT_ERR_PATH_BUDGET_EXCEEDED without taking them. */
  spend(what: Counter, n = 1): void {
    const limit = this.limits[limitOf[what]];
    if (this.used[what] + n > limit) {
      throw new QtError('QT_ERR_PATH_BUDGET_EXCEEDED', `The verification needed more than ${limit} ${words[what]}, the limit for one request`, {
        limit: limitOf[what],
        value: limit,
      });
    }
    this.used[what] += n;
  }

  /** What was spent so far (reported with a verdict, so operators can size the limits). */
  spent(): Readonly<Record<Counter, number>> {
    return { ...this.used };
  }
}

/** A budget to draw on: the caller's shared one, or a fresh one from the given limits. */
export function budgetFrom(budget: PathBudget | PathBudgetLimits | undefined): PathBudget {
  return budget instanceof PathBudget ? budget : new PathBudget(budget);
}
