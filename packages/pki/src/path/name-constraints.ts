/**
 * Name constraints, RFC 5280 §4.2.1.10 and §6.1.3 (b)–(c) / §6.1.4 (g): permitted subtrees intersect down
 * the path, excluded subtrees accumulate. Forms evaluated: directoryName, rfc822Name, dNSName, iPAddress and
 * uniformResourceIdentifier (by its host). A critical constraint in any other form (otherName, x400Address,
 * ediPartyName, registeredID) or with minimum/maximum set cannot be evaluated, so the path is refused.
 *
 * The intersection of permitted sets is kept as a list of the sets, one per CA that imposed them: a name
 * passes when every set holding subtrees of its form has one containing it — the same answer as computing
 * the intersection, without set algebra over subtrees.
 */
import { nameWithin } from './dn.ts';
import { describeGeneralName, type GeneralName, type GeneralNameType } from './general-names.ts';
import type { GeneralSubtree, NameConstraints } from './extensions.ts';

const evaluated: ReadonlySet<GeneralNameType> = new Set(['directoryName', 'rfc822Name', 'dNSName', 'iPAddress', 'uniformResourceIdentifier']);

/** The names of a certificate that constraints apply to. */
export interface ConstrainedNames {
  subject: GeneralName | undefined;
  altNames: readonly GeneralName[];
  /** emailAddress attributes of the subject DN, checked as rfc822Names (RFC 5280 §4.2.1.10). */
  emails: readonly string[];
}

export class NameConstraintState {
  private readonly permitted: GeneralSubtree[][] = [];
  private readonly excluded: GeneralSubtree[] = [];

  /**
   * Adds a CA's constraints. Returns why they cannot be evaluated when a critical extension uses a form we do
   * not process; non-critical subtrees of such forms constrain only names we never check, and are dropped.
   */
  add(nc: NameConstraints, critical: boolean): string | undefined {
    const unsupported = [...nc.permitted, ...nc.excluded].find((s) => !evaluated.has(s.base.type) || s.minimum !== 0 || s.maximum !== undefined);
    if (unsupported && critical) {
      const why = evaluated.has(unsupported.base.type) ? 'a minimum or maximum distance' : `the ${unsupported.base.type} form`;
      return `its critical name constraints use ${why}, which cannot be evaluated`;
    }
    const usable = (s: GeneralSubtree): boolean => evaluated.has(s.base.type) && s.minimum === 0 && s.maximum === undefined;
    if (nc.permitted.length) this.permitted.push(nc.permitted.filter(usable));
    this.excluded.push(...nc.excluded.filter(usable));
    return undefined;
  }

  get empty(): boolean {
    return this.permitted.length === 0 && this.excluded.length === 0;
  }

  /** The first name that is outside the permitted or inside the excluded subtrees, described; undefined if none. */
  violation(names: ConstrainedNames): string | undefined {
    if (this.empty) return undefined;
    const all: GeneralName[] = [...names.altNames, ...names.emails.map((value): GeneralName => ({ type: 'rfc822Name', value }))];
    // An empty subject DN names nothing (the identity is then in subjectAltName).
    if (names.subject?.type === 'directoryName' && names.subject.name.rdns.length > 0) all.unshift(names.subject);
    for (const name of all) {
      if (!evaluated.has(name.type)) continue;
      for (const set of this.permitted) {
        const sameForm = set.filter((s) => s.base.type === name.type);
        if (sameForm.length && !sameForm.some((s) => within(name, s.base))) return `${describeGeneralName(name)} is outside the permitted subtrees`;
      }
      const hit = this.excluded.find((s) => s.base.type === name.type && within(name, s.base));
      if (hit) return `${describeGeneralName(name)} is inside the excluded subtree ${describeGeneralName(hit.base)}`;
    }
    return undefined;
  }
}

/** Is `name` within the subtree `base` (both of the same form)? */
export function within(name: GeneralName, base: GeneralName): boolean {
  switch (name.type) {
    case 'directoryName':
      return base.type === 'directoryName' && nameWithin(name.name.rdns, base.name.rdns);
    case 'dNSName':
      return base.type === 'dNSName' && dnsWithin(name.value, base.value);
    case 'rfc822Name':
      return base.type === 'rfc822Name' && mailboxWithin(name.value, base.value);
    case 'uniformResourceIdentifier':
      return base.type === 'uniformResourceIdentifier' && uriWithin(name.value, base.value);
    case 'iPAddress':
      return base.type === 'iPAddress' && ipWithin(name.bytes, base.bytes);
    default:
      return false;
  }
}

const lower = (s: string): string => s.toLowerCase().replace(/\.$/, '');

/** dNSName: the constraint plus zero or more labels on the left; a leading dot admits subdomains only. */
export function dnsWithin(name: string, constraint: string): boolean {
  const n = lower(name);
  const c = lower(constraint);
  if (c === '') return true;
  if (c.startsWith('.')) return n.endsWith(c) && n.length > c.length;
  return n === c || n.endsWith(`.${c}`);
}

/** Host part constraint (rfc822Name domain, URI host): "host" exactly, ".domain" any host below it. */
function hostWithin(host: string, constraint: string): boolean {
  const h = lower(host);
  const c = lower(constraint);
  if (c.startsWith('.')) return h.endsWith(c) && h.length > c.length;
  return h === c;
}

/** rfc822Name: "local@host" a mailbox, "host" all its mailboxes, ".domain" mailboxes on hosts below it. */
export function mailboxWithin(name: string, constraint: string): boolean {
  const at = name.lastIndexOf('@');
  if (at <= 0) return false;
  const host = name.slice(at + 1);
  if (constraint.includes('@')) {
    const cAt = constraint.lastIndexOf('@');
    return name.slice(0, at) === constraint.slice(0, cAt) && lower(host) === lower(constraint.slice(cAt + 1));
  }
  return hostWithin(host, constraint);
}

/** URI: the constraint applies to the host; a URI without a host (urn:, mailto:) satisfies no constraint. */
export function uriWithin(uri: string, constraint: string): boolean {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(uri);
  const host = m?.[1];
  if (!host) return false;
  return hostWithin(host, constraint);
}

/** iPAddress: address and mask of the same family (4+4 or 16+16 octets). */
export function ipWithin(address: Uint8Array, constraint: Uint8Array): boolean {
  const n = address.length;
  if ((n !== 4 && n !== 16) || constraint.length !== 2 * n) return false;
  for (let i = 0; i < n; i++) {
    const mask = constraint[n + i] as number;
    if (((address[i] as number) & mask) !== ((constraint[i] as number) & mask)) return false;
  }
  return true;
}
