/**
 * Readers for the certificate extensions RFC 5280 §6 acts on (name constraints, policies and their
 * constraints, subject alternative names, CRL distribution points), from DER with the DER walker so the
 * names inside keep their exact bytes. Each reader throws a plain Error on malformed input; the caller
 * turns it into QT_ERR_CERT_MALFORMED naming the extension.
 */
import type { Bytes } from '../encoding.ts';
import { childrenOf, contextTag, readOid, readUnsigned, readWhole, TAG, type Tlv } from '../der/read.ts';
import { readRdn, type RdnKey } from './dn.ts';
import { readGeneralName, readGeneralNames, type GeneralName } from './general-names.ts';

export const anyPolicy = '2.5.29.32.0';

export interface GeneralSubtree {
  base: GeneralName;
  /** RFC 5280 says minimum MUST be 0 and maximum absent; anything else is a form we do not support. */
  minimum: number;
  maximum: number | undefined;
}

export interface NameConstraints {
  permitted: GeneralSubtree[];
  excluded: GeneralSubtree[];
}

export interface PolicyInformation {
  oid: string;
  /** DER of policyQualifiers, when present (reported, never interpreted: RFC 5280 §4.2.1.4 leaves them advisory). */
  qualifiers: Bytes | undefined;
}

export interface PolicyConstraints {
  requireExplicitPolicy: number | undefined;
  inhibitPolicyMapping: number | undefined;
}

/** ReasonFlags as a bit set: bit i is reason i of RFC 5280 §4.2.1.13 (1 keyCompromise … 8 aACompromise). */
export type ReasonMask = number;
/** Every reason a CRL can speak for (bits 1–8; bit 0 "unused" is not a reason). */
export const ALL_REASONS: ReasonMask = 0x1fe;

export interface DistributionPoint {
  /** fullName, or the RDN to append to the CRL issuer's name (nameRelativeToCRLIssuer); absent when omitted. */
  name: { fullName: GeneralName[] } | { relative: RdnKey } | undefined;
  reasons: ReasonMask | undefined;
  crlIssuer: GeneralName[] | undefined;
}

const MAX_SMALL_INT = 1_000_000;

function smallInt(der: Uint8Array, t: Tlv): number {
  const v = readUnsigned(der, { ...t, tag: TAG.integer });
  return v > BigInt(MAX_SMALL_INT) ? MAX_SMALL_INT : Number(v);
}

function subtrees(der: Bytes, t: Tlv): GeneralSubtree[] {
  const out = childrenOf(der, t).map((st): GeneralSubtree => {
    if (st.tag !== TAG.sequence) throw new Error('a GeneralSubtree is not a SEQUENCE');
    const [base, ...rest] = childrenOf(der, st);
    if (!base) throw new Error('a GeneralSubtree has no base');
    let minimum = 0;
    let maximum: number | undefined;
    for (const r of rest) {
      if (r.tag === contextTag(0, false)) minimum = smallInt(der, r);
      else if (r.tag === contextTag(1, false)) maximum = smallInt(der, r);
      else throw new Error('a GeneralSubtree has an unexpected element');
    }
    return { base: readGeneralName(der, base), minimum, maximum };
  });
  if (out.length === 0) throw new Error('empty GeneralSubtrees');
  return out;
}

export function readNameConstraints(value: Bytes): NameConstraints {
  const seq = readWhole(value, TAG.sequence, 'NameConstraints');
  const nc: NameConstraints = { permitted: [], excluded: [] };
  for (const part of childrenOf(value, seq)) {
    if (part.tag === contextTag(0, true)) nc.permitted = subtrees(value, part);
    else if (part.tag === contextTag(1, true)) nc.excluded = subtrees(value, part);
    else throw new Error('unexpected element in NameConstraints');
  }
  return nc;
}

export function readPolicies(value: Bytes): PolicyInformation[] {
  const seq = readWhole(value, TAG.sequence, 'CertificatePolicies');
  const out = childrenOf(value, seq).map((pi): PolicyInformation => {
    if (pi.tag !== TAG.sequence) throw new Error('a PolicyInformation is not a SEQUENCE');
    const [id, qualifiers, extra] = childrenOf(value, pi);
    if (!id || extra || (qualifiers && qualifiers.tag !== TAG.sequence)) throw new Error('a PolicyInformation is malformed');
    return { oid: readOid(value, id), qualifiers: qualifiers ? value.subarray(qualifiers.start, qualifiers.end) : undefined };
  });
  if (out.length === 0) throw new Error('empty certificatePolicies');
  return out;
}

export function readPolicyMappings(value: Bytes): { issuer: string; subject: string }[] {
  const seq = readWhole(value, TAG.sequence, 'PolicyMappings');
  const out = childrenOf(value, seq).map((m) => {
    const [a, b, extra] = childrenOf(value, m);
    if (m.tag !== TAG.sequence || !a || !b || extra) throw new Error('a policy mapping is not SEQUENCE { OID, OID }');
    return { issuer: readOid(value, a), subject: readOid(value, b) };
  });
  if (out.length === 0) throw new Error('empty policyMappings');
  return out;
}

export function readPolicyConstraints(value: Bytes): PolicyConstraints {
  const seq = readWhole(value, TAG.sequence, 'PolicyConstraints');
  const pc: PolicyConstraints = { requireExplicitPolicy: undefined, inhibitPolicyMapping: undefined };
  for (const part of childrenOf(value, seq)) {
    if (part.tag === contextTag(0, false)) pc.requireExplicitPolicy = smallInt(value, part);
    else if (part.tag === contextTag(1, false)) pc.inhibitPolicyMapping = smallInt(value, part);
    else throw new Error('unexpected element in PolicyConstraints');
  }
  return pc;
}

export function readInhibitAnyPolicy(value: Bytes): number {
  return smallInt(value, readWhole(value, TAG.integer, 'InhibitAnyPolicy'));
}

export function readSubjectAltName(value: Bytes): GeneralName[] {
  return readGeneralNames(value, readWhole(value, TAG.sequence, 'GeneralNames'));
}

/** ReasonFlags BIT STRING content (first byte = unused bits) → mask; bit 0 is the first (most significant) bit. */
export function readReasonFlags(der: Uint8Array, t: Tlv): ReasonMask {
  const bytes = der.subarray(t.contentStart, t.end);
  if (bytes.length === 0 || (bytes[0] as number) > 7) throw new Error('malformed ReasonFlags');
  let mask = 0;
  for (let bit = 0; bit < 9 && 1 + (bit >> 3) < bytes.length; bit++) {
    if (((bytes[1 + (bit >> 3)] as number) >> (7 - (bit & 7))) & 1) mask |= 1 << bit;
  }
  return mask;
}

/** DistributionPointName ::= CHOICE { fullName [0] GeneralNames, nameRelativeToCRLIssuer [1] RDN }, given its [0] wrapper. */
export function readDistributionPointName(der: Bytes, wrapper: Tlv): DistributionPoint['name'] {
  const [choice, extra] = childrenOf(der, wrapper);
  if (!choice || extra) throw new Error('a DistributionPointName is empty');
  if (choice.tag === contextTag(0, true)) return { fullName: readGeneralNames(der, choice) };
  if (choice.tag === contextTag(1, true)) return { relative: readRdn(der, { ...choice, tag: TAG.set }) };
  throw new Error('unknown DistributionPointName choice');
}

export function readCrlDistributionPoints(value: Bytes): DistributionPoint[] {
  const seq = readWhole(value, TAG.sequence, 'CRLDistributionPoints');
  const out = childrenOf(value, seq).map((dp): DistributionPoint => {
    if (dp.tag !== TAG.sequence) throw new Error('a DistributionPoint is not a SEQUENCE');
    const point: DistributionPoint = { name: undefined, reasons: undefined, crlIssuer: undefined };
    for (const part of childrenOf(value, dp)) {
      if (part.tag === contextTag(0, true)) point.name = readDistributionPointName(value, part);
      else if (part.tag === contextTag(1, false)) point.reasons = readReasonFlags(value, part);
      else if (part.tag === contextTag(2, true)) point.crlIssuer = readGeneralNames(value, part);
      else throw new Error('unexpected element in a DistributionPoint');
    }
    // RFC 5280 §4.2.1.13: a point must name either where the CRL is or who issues it.
    if (!point.name && !point.crlIssuer) throw new Error('a DistributionPoint names neither a point nor a CRL issuer');
    return point;
  });
  if (out.length === 0) throw new Error('empty CRLDistributionPoints');
  return out;
}

/** ExtKeyUsageSyntax; an empty SEQUENCE is reported as [] (the profile check refuses it). */
export function readExtKeyUsage(value: Bytes): string[] {
  const seq = readWhole(value, TAG.sequence, 'ExtKeyUsageSyntax');
  return childrenOf(value, seq).map((t) => readOid(value, t));
}
