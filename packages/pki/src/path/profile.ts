/**
 * The RFC 5280 §4 rules a certificate on a path must follow, beyond what §6 validation asks: things a
 * conforming CA MUST NOT issue, refused because each is a known way to confuse a verifier (which of two
 * duplicated extensions counts? may a "leaf" with keyCertSign issue?). Profile 'rfc5280' tolerates only
 * what RFC 5280 itself asks relying parties to tolerate: serial numbers that are zero, negative or longer
 * than 20 octets (§4.1.2.2 "SHOULD be prepared to gracefully handle"). Profile 'strict' (the default)
 * refuses those too.
 */
import { oid } from '../oids.ts';
import type { CertificateFacts } from './certificate.ts';

export type Profile = 'strict' | 'rfc5280';

/** Extensions that only a CA certificate may carry (§4.2.1.5, §4.2.1.10, §4.2.1.11, §4.2.1.14). */
const caOnly: readonly [string, string][] = [
  [oid.nameConstraints, 'nameConstraints'],
  [oid.policyConstraints, 'policyConstraints'],
  [oid.policyMappings, 'policyMappings'],
  [oid.inhibitAnyPolicy, 'inhibitAnyPolicy'],
];

/** Extensions that MUST be non-critical (§4.2.1.1, §4.2.1.2, §4.2.2.1). */
const neverCritical: readonly [string, string][] = [
  [oid.authorityKeyIdentifier, 'authorityKeyIdentifier'],
  [oid.subjectKeyIdentifier, 'subjectKeyIdentifier'],
  [oid.authorityInfoAccess, 'authorityInfoAccess'],
];

/** The first rule the certificate breaks, in words with its RFC section; undefined when it follows them all. */
export function profileViolation(cert: CertificateFacts, profile: Profile): string | undefined {
  if (cert.duplicateExtensions.length) return `it carries the extension ${cert.duplicateExtensions.join(', ')} more than once (RFC 5280 §4.2)`;
  if (cert.version < 3 && cert.extensions.length) return `it is a version ${cert.version} certificate with extensions (RFC 5280 §4.1.2.9)`;
  for (const [id, name] of neverCritical) {
    if (cert.extensions.some((e) => e.oid === id && e.critical)) return `its ${name} extension is marked critical, which RFC 5280 forbids (§4.2)`;
  }
  const isCa = cert.basicConstraints?.ca === true;
  if (isCa && cert.subjectName.rdns.length === 0) return 'it is a CA certificate with an empty subject name (RFC 5280 §4.1.2.6)';
  if (cert.keyUsage?.has('keyCertSign') && !isCa) return 'it asserts keyCertSign without being a CA (basicConstraints cA=TRUE; RFC 5280 §4.2.1.3)';
  if (cert.keyUsage && cert.keyUsage.size === 0) return 'its keyUsage extension has no bit set (RFC 5280 §4.2.1.3)';
  if (cert.extKeyUsage && cert.extKeyUsage.length === 0) return 'its extendedKeyUsage extension is empty (RFC 5280 §4.2.1.12)';
  if (!isCa) {
    const misplaced = caOnly.find(([id]) => cert.extensions.some((e) => e.oid === id));
    if (misplaced) return `it carries ${misplaced[1]} but is not a CA certificate (RFC 5280 §4.2.1)`;
  }
  const nc = cert.nameConstraints;
  if (nc && nc.permitted.length === 0 && nc.excluded.length === 0) return 'its nameConstraints extension is empty (RFC 5280 §4.2.1.10)';
  const pc = cert.policyConstraints;
  if (pc && pc.requireExplicitPolicy === undefined && pc.inhibitPolicyMapping === undefined) return 'its policyConstraints extension is empty (RFC 5280 §4.2.1.11)';
  const policyOids = cert.policies?.map((p) => p.oid) ?? [];
  if (new Set(policyOids).size !== policyOids.length) return 'its certificatePolicies name one policy more than once (RFC 5280 §4.2.1.4)';
  if (profile === 'strict') {
    const serial = cert.serialBytes;
    if ((serial[0] as number) & 0x80) return 'its serial number is negative (RFC 5280 §4.1.2.2)';
    if (serial.every((b) => b === 0)) return 'its serial number is zero (RFC 5280 §4.1.2.2)';
    if (serial.length > 20) return `its serial number is ${serial.length} octets long, more than the 20 RFC 5280 allows (§4.1.2.2)`;
  }
  return undefined;
}
