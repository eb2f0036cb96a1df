/**
 * Certificate policy processing, RFC 5280 §6.1.2–§6.1.5 as written: the valid_policy_tree with its
 * explicit_policy, policy_mapping and inhibit_anyPolicy counters, policy mappings, and the final
 * intersection with the user-initial-policy-set. The tree is built literally (not the merged graph some
 * libraries use) so the report shows exactly RFC 5280's tree; mappings can make it grow exponentially, so
 * every node is paid for from the budget (maxPolicyNodes) and an explosion is a refusal, not a stall.
 */
import type { Bytes } from '../encoding.ts';
import type { PathBudget } from './budget.ts';
import type { CertificateFacts } from './certificate.ts';
import { anyPolicy } from './extensions.ts';

/** RFC 5280 §6.1.1 (c), (e), (f), (g). */
export interface PolicyInputs {
  /** OIDs; default [anyPolicy]. */
  initialPolicySet?: readonly string[] | undefined;
  initialExplicitPolicy?: boolean | undefined;
  initialPolicyMappingInhibit?: boolean | undefined;
  initialAnyPolicyInhibit?: boolean | undefined;
}

/** A node of the valid_policy_tree as reported. */
export interface PolicyTreeNode {
  validPolicy: string;
  /** DER of the qualifiers the certificate attached to this policy, when any. */
  qualifiers?: Bytes | undefined;
  expectedPolicySet: string[];
  children: PolicyTreeNode[];
}

export interface PolicyReport {
  /** The valid_policy_tree after the final intersection (RFC 5280 §6.1.5 (g)); null when it is NULL. */
  validPolicyTree: PolicyTreeNode | null;
  /** The policies the path is valid for, among those the relying party asked for (anyPolicy = all of them). */
  userConstrainedPolicySet: string[];
  /** Whether some certificate (or the inputs) made an explicit policy required for this path. */
  explicitPolicyRequired: boolean;
}

interface Node {
  validPolicy: string;
  qualifiers: Bytes | undefined;
  expected: Set<string>;
  children: Node[];
  parent: Node | undefined;
  depth: number;
  deleted: boolean;
}

export class PolicyProcessor {
  private root: Node | undefined;
  private explicitPolicy: number;
  private policyMapping: number;
  private inhibitAnyPolicy: number;
  private readonly userSet: Set<string>;
  private explicitEverRequired: boolean;

  /** n: certificates in the path below the trust anchor. */
  constructor(
    private readonly n: number,
    inputs: PolicyInputs,
    private readonly budget: PathBudget,
  ) {
    this.root = this.node(anyPolicy, undefined, new Set([anyPolicy]), undefined, 0);
    this.explicitPolicy = inputs.initialExplicitPolicy ? 0 : n + 1;
    this.policyMapping = inputs.initialPolicyMappingInhibit ? 0 : n + 1;
    this.inhibitAnyPolicy = inputs.initialAnyPolicyInhibit ? 0 : n + 1;
    this.userSet = new Set(inputs.initialPolicySet?.length ? inputs.initialPolicySet : [anyPolicy]);
    this.explicitEverRequired = Boolean(inputs.initialExplicitPolicy);
  }

  /**
   * RFC 5937: a trust anchor's own policies narrow the user-initial-policy-set, and its policy constraints
   * and inhibitAnyPolicy start the counters, as if it were certificate 0 of the path.
   */
  applyTrustAnchor(anchor: CertificateFacts): void {
    const policies = anchor.policies?.map((p) => p.oid);
    if (policies && !policies.includes(anyPolicy)) {
      const narrowed = this.userSet.has(anyPolicy) ? policies : policies.filter((p) => this.userSet.has(p));
      this.userSet.clear();
      for (const p of narrowed) this.userSet.add(p);
    }
    this.applyConstraints(anchor);
  }

  /** §6.1.3 (d)–(f) for certificate i (1-based, top-down). Returns why the path fails, if it does. */
  processCertificate(cert: CertificateFacts, i: number): string | undefined {
    if (cert.policies && this.root) {
      const parents = this.level(i - 1);
      let anyQualifiers: Bytes | undefined;
      let hasAny = false;
      for (const p of cert.policies) {
        if (p.oid === anyPolicy) {
          hasAny = true;
          anyQualifiers = p.qualifiers;
          continue;
        }
        const matching = parents.filter((node) => node.expected.has(p.oid));
        const targets = matching.length ? matching : parents.filter((node) => node.validPolicy === anyPolicy);
        for (const parent of targets) this.node(p.oid, p.qualifiers, new Set([p.oid]), parent, i);
      }
      if (hasAny && (this.inhibitAnyPolicy > 0 || (i < this.n && cert.selfIssued))) {
        for (const parent of parents) {
          for (const value of parent.expected) {
            if (!parent.children.some((c) => c.validPolicy === value)) this.node(value, anyQualifiers, new Set([value]), parent, i);
          }
        }
      }
      this.prune(i);
    } else {
      this.root = undefined;
    }
    if (this.explicitPolicy <= 0 && !this.root) return 'no certificate policy is valid for the path, and an explicit policy is required';
    return undefined;
  }

  /** §6.1.4 (a), (b), (h), (i), (j): preparing for certificate i+1. */
  prepareNext(cert: CertificateFacts, i: number): string | undefined {
    const mappings = cert.policyMappings;
    if (mappings) {
      if (mappings.some((m) => m.issuer === anyPolicy || m.subject === anyPolicy)) return 'it maps anyPolicy, which policy mappings must not do';
      const byIssuer = new Map<string, Set<string>>();
      for (const m of mappings) byIssuer.set(m.issuer, (byIssuer.get(m.issuer) ?? new Set()).add(m.subject));
      for (const [issuerPolicy, subjects] of byIssuer) {
        const atLevel = this.level(i);
        const nodes = atLevel.filter((node) => node.validPolicy === issuerPolicy);
        if (this.policyMapping > 0) {
          if (nodes.length) {
            for (const node of nodes) node.expected = new Set(subjects);
          } else {
            const anyNode = atLevel.find((node) => node.validPolicy === anyPolicy);
            if (anyNode?.parent) {
              const anyQualifiers = cert.policies?.find((p) => p.oid === anyPolicy)?.qualifiers;
              this.node(issuerPolicy, anyQualifiers, new Set(subjects), anyNode.parent, i);
            }
          }
        } else {
          for (const node of nodes) this.remove(node);
          this.prune(i);
        }
      }
    }
    if (!cert.selfIssued) {
      if (this.explicitPolicy > 0) this.explicitPolicy--;
      if (this.policyMapping > 0) this.policyMapping--;
      if (this.inhibitAnyPolicy > 0) this.inhibitAnyPolicy--;
    }
    this.applyConstraints(cert);
    return undefined;
  }

  /** §6.1.5 (a), (b), (g) after the last certificate; the report, or why the path fails. */
  wrapUp(leaf: CertificateFacts): { report: PolicyReport } | { failure: string } {
    if (this.explicitPolicy !== 0) this.explicitPolicy--;
    if (leaf.policyConstraints?.requireExplicitPolicy === 0) this.explicitPolicy = 0;
    if (this.explicitPolicy === 0) this.explicitEverRequired = true;
    const n = this.n;
    if (this.root && !this.userSet.has(anyPolicy)) {
      const nodeSet = this.allNodes().filter((node) => node.parent?.validPolicy === anyPolicy && !node.deleted);
      for (const node of nodeSet) {
        if (node.validPolicy !== anyPolicy && !this.userSet.has(node.validPolicy)) this.remove(node);
      }
      const anyLeaf = this.level(n).find((node) => node.validPolicy === anyPolicy);
      if (anyLeaf?.parent) {
        const present = new Set(nodeSet.filter((node) => !node.deleted).map((node) => node.validPolicy));
        for (const p of this.userSet) {
          if (!present.has(p)) this.node(p, anyLeaf.qualifiers, new Set([p]), anyLeaf.parent, n);
        }
        this.remove(anyLeaf);
      }
      this.prune(n);
    }
    if (this.explicitPolicy <= 0 && !this.root) return { failure: 'no certificate policy acceptable to the relying party is valid for the path, and an explicit policy is required' };
    // The policies the path is good for, named as the relying party names them (before any mapping): for each
    // leaf, the first node below anyPolicy on its way up from the root; an all-anyPolicy branch stands for
    // everything the relying party asked for.
    const user = new Set<string>();
    for (const leaf of this.root ? this.level(n) : []) {
      let node: Node = leaf;
      while (node.parent && node.parent.validPolicy !== anyPolicy) node = node.parent;
      if (node.validPolicy === anyPolicy) for (const p of this.userSet) user.add(p);
      else if (this.userSet.has(anyPolicy) || this.userSet.has(node.validPolicy)) user.add(node.validPolicy);
    }
    return { report: { validPolicyTree: this.root ? report(this.root) : null, userConstrainedPolicySet: [...user].sort(), explicitPolicyRequired: this.explicitEverRequired } };
  }

  private applyConstraints(cert: CertificateFacts): void {
    const pc = cert.policyConstraints;
    if (pc?.requireExplicitPolicy !== undefined && pc.requireExplicitPolicy < this.explicitPolicy) {
      this.explicitPolicy = pc.requireExplicitPolicy;
      this.explicitEverRequired = true;
    }
    if (pc?.inhibitPolicyMapping !== undefined && pc.inhibitPolicyMapping < this.policyMapping) this.policyMapping = pc.inhibitPolicyMapping;
    if (cert.inhibitAnyPolicy !== undefined && cert.inhibitAnyPolicy < this.inhibitAnyPolicy) this.inhibitAnyPolicy = cert.inhibitAnyPolicy;
  }

  private node(validPolicy: string, qualifiers: Bytes | undefined, expected: Set<string>, parent: Node | undefined, depth: number): Node {
    this.budget.spend('policyNodes');
    const node: Node = { validPolicy, qualifiers, expected, children: [], parent, depth, deleted: false };
    parent?.children.push(node);
    return node;
  }

  private allNodes(): Node[] {
    const out: Node[] = [];
    const walk = (node: Node): void => {
      out.push(node);
      for (const c of node.children) walk(c);
    };
    if (this.root) walk(this.root);
    return out;
  }

  private level(depth: number): Node[] {
    return this.allNodes().filter((node) => node.depth === depth);
  }

  /** Deletes a node and its subtree. */
  private remove(node: Node): void {
    node.deleted = true;
    if (node.parent) node.parent.children = node.parent.children.filter((c) => c !== node);
    else this.root = undefined;
  }

  /** Removes childless nodes above depth `depth`, bottom-up; a childless root makes the tree NULL. */
  private prune(depth: number): void {
    for (let d = depth - 1; d >= 0; d--) {
      for (const node of this.level(d)) if (node.children.length === 0) this.remove(node);
    }
  }
}

function report(node: Node): PolicyTreeNode {
  return {
    validPolicy: node.validPolicy,
    ...(node.qualifiers ? { qualifiers: node.qualifiers } : {}),
    expectedPolicySet: [...node.expected],
    children: node.children.map(report),
  };
}
