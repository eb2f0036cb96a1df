/**
 * Certificate profiles as data: one table says what every kind of certificate we issue contains, so
 * issuance, the pre-signing lint and inspection all read the same facts (DESIGN §4, checked on NCA's
 * certificates). Adding a profile is adding a row.
 */
import { QtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import type { Period } from './period.ts';

export type KeyUsageName =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';

/** AUTH and SIGN are a person's two certificates; CA, OCSP and TSA (time-stamping) are our own infrastructure. */
export type CertificateKind = 'AUTH' | 'SIGN' | 'CA' | 'OCSP' | 'TSA';

/** Who the subject is: a person (KZ layout), a person for an organisation (KZ layout + O/BIN), or an authority (any DN). */
export type SubjectType = 'individual' | 'legal-entity' | 'authority';

export type UrlKind = 'crl' | 'deltaCrl' | 'ocsp' | 'caIssuers';

/** Where the subscriber's private key lives; it decides the validity (DESIGN §4). */
export type KeyStorage = 'file' | 'token';

export type LegalRole = 'ceo' | 'signing-right' | 'finance' | 'hr' | 'employee';
export type ProfileName =
  | 'individual-auth'
  | 'individual-sign'
  | 'ra-operator-auth'
  | `legal-${LegalRole}-${'auth' | 'sign'}`
  | 'root-ca'
  | 'issuing-ca'
  | 'ocsp-signing'
  | 'tsa-signing';

export interface CertificateProfile {
  readonly name: ProfileName;
  readonly kind: CertificateKind;
  readonly description: string;
  readonly subject: SubjectType;
  /** Always written critical (RFC 5280 §4.2.1.3 recommends it; NCA does it). */
  readonly keyUsage: readonly KeyUsageName[];
  /** Usage EKUs first, then the role OIDs — NCA's order. Empty: no EKU extension. */
  readonly extKeyUsage: readonly string[];
  /**
   * extKeyUsage is written critical. Only the TSA's: RFC 3161 §2.3 demands one critical EKU holding
   * timeStamping alone; everything else is non-critical, as NCA writes it.
   */
  readonly extKeyUsageCritical: boolean;
  /** The role OIDs among `extKeyUsage`. */
  readonly roles: readonly string[];
  /** The one certificate policy; absent for the root, whose policies path validation ignores. */
  readonly policy?: string;
  /** Present only for CA profiles; subscriber certificates carry no basicConstraints, as NCA's. */
  readonly basicConstraints?: { readonly pathLength?: number };
  /** id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1) for delegated responders. */
  readonly ocspNoCheck: boolean;
  readonly selfSigned: boolean;
  /** URLs issuance must be given (all given URLs are written). */
  readonly requiredUrls: readonly UrlKind[];
  /** Whether the identification-method OID may be added (subscriber certificates only). */
  readonly identification: boolean;
  readonly validity: Readonly<Record<KeyStorage, Period>>;
  /**
   * A certificate that grants a power over other people's applications (the RA operator's): issued only
   * by the CA's administrators (`qoltanba operator issue`), never through the CA API, the portal or
   * re-issuance, which refuse it with QT_ERR_PROFILE_RESTRICTED.
   */
  readonly restricted: boolean;
}

/** RFC 5280 anyPolicy. */
export const anyPolicyOid = '2.5.29.32.0';

/**
 * Identification methods. NCA writes this fact as an extra OID in extKeyUsage, next to the role; we
 * do the same (after the role, so the usage and role OIDs keep NCA's positions). RFC 5280 lets EKU
 * hold any KeyPurposeId and relying parties ignore ones they do not know, so nothing else is affected.
 */
export const identificationOids = {
  'in-person': oid.identifiedInPerson,
  remote: oid.identifiedRemotely,
} as const;
export type IdentificationMethod = keyof typeof identificationOids;

const SUBSCRIBER_VALIDITY = { file: { years: 1 }, token: { years: 3 } } as const;
const SUBSCRIBER_URLS: readonly UrlKind[] = ['crl', 'deltaCrl', 'ocsp', 'caIssuers'];

const usage = {
  AUTH: { keyUsage: ['digitalSignature', 'keyEncipherment'], eku: oid.ekuClientAuth },
  SIGN: { keyUsage: ['digitalSignature', 'nonRepudiation'], eku: oid.ekuEmailProtection },
} as const satisfies Record<'AUTH' | 'SIGN', { keyUsage: readonly KeyUsageName[]; eku: string }>;

const legalRoles: Readonly<Record<LegalRole, { oid: string; title: string }>> = {
  ceo: { oid: oid.roleCeo, title: 'chief executive' },
  'signing-right': { oid: oid.roleSigningRight, title: 'person with signing right' },
  finance: { oid: oid.roleFinance, title: 'finance officer' },
  hr: { oid: oid.roleHr, title: 'HR officer' },
  employee: { oid: oid.roleEmployee, title: 'employee' },
};

function subscriber(name: ProfileName, kind: 'AUTH' | 'SIGN', subject: 'individual' | 'legal-entity', roles: string[], policy: string, description: string, restricted = false): CertificateProfile {
  return {
    name,
    kind,
    description,
    subject,
    keyUsage: usage[kind].keyUsage,
    extKeyUsage: [usage[kind].eku, ...roles],
    extKeyUsageCritical: false,
    roles,
    policy,
    ocspNoCheck: false,
    selfSigned: false,
    requiredUrls: SUBSCRIBER_URLS,
    identification: true,
    validity: SUBSCRIBER_VALIDITY,
    restricted,
  };
}

const table: readonly CertificateProfile[] = [
  subscriber('individual-auth', 'AUTH', 'individual', [oid.roleIndividual], oid.policyIndividualAuth, 'Individual: authentication'),
  subscriber('individual-sign', 'SIGN', 'individual', [oid.roleIndividual], oid.policyIndividualSign, 'Individual: signing'),
  // An RA operator signs in to the operators' console with this: a person's AUTH certificate that also
  // carries the RA-operator role (NCA's operator arc 1.2.398.3.3.4.2), after the individual role as NCA orders roles.
  subscriber('ra-operator-auth', 'AUTH', 'individual', [oid.roleIndividual, oid.roleRaOperator], oid.policyIndividualAuth, 'RA operator: authentication (operators\' console)', true),
  ...(Object.entries(legalRoles) as [LegalRole, { oid: string; title: string }][]).flatMap(([role, r]) => [
    subscriber(`legal-${role}-auth`, 'AUTH', 'legal-entity', [oid.roleLegalEntity, r.oid], oid.policyLegalEntityAuth, `Legal entity, ${r.title}: authentication`),
    subscriber(`legal-${role}-sign`, 'SIGN', 'legal-entity', [oid.roleLegalEntity, r.oid], oid.policyLegalEntitySign, `Legal entity, ${r.title}: signing`),
  ]),
  {
    name: 'root-ca',
    kind: 'CA',
    description: 'Root CA (self-signed)',
    subject: 'authority',
    keyUsage: ['keyCertSign', 'cRLSign'],
    extKeyUsage: [],
    extKeyUsageCritical: false,
    roles: [],
    basicConstraints: {},
    ocspNoCheck: false,
    selfSigned: true,
    requiredUrls: [],
    identification: false,
    validity: { file: { years: 20 }, token: { years: 20 } },
    restricted: false,
  },
  {
    name: 'issuing-ca',
    kind: 'CA',
    description: 'Issuing CA (subordinate of the root, issues only end-entity certificates)',
    subject: 'authority',
    keyUsage: ['keyCertSign', 'cRLSign'],
    extKeyUsage: [],
    extKeyUsageCritical: false,
    roles: [],
    // anyPolicy rather than NCA's own CA policy OID: relying parties that demand an explicit policy
    // (RFC 5280 §6.1, openssl -explicit_policy -policy 1.2.398.3.3.2.3) then accept our leaves.
    policy: anyPolicyOid,
    basicConstraints: { pathLength: 0 },
    ocspNoCheck: false,
    selfSigned: false,
    requiredUrls: ['crl'],
    identification: false,
    validity: { file: { years: 10 }, token: { years: 10 } },
    restricted: false,
  },
  {
    name: 'ocsp-signing',
    kind: 'OCSP',
    description: 'Delegated OCSP responder',
    subject: 'authority',
    keyUsage: ['digitalSignature'],
    extKeyUsage: [oid.ekuOcspSigning],
    extKeyUsageCritical: false,
    roles: [],
    ocspNoCheck: true,
    selfSigned: false,
    requiredUrls: [],
    identification: false,
    // With ocsp-nocheck nobody checks this certificate's revocation, so its life is kept short and the
    // status service renews it (RFC 6960 §4.2.2.2.1).
    validity: { file: { days: 30 }, token: { days: 30 } },
    restricted: false,
  },
  {
    name: 'tsa-signing',
    kind: 'TSA',
    description: 'Time-stamping authority (RFC 3161)',
    subject: 'authority',
    keyUsage: ['digitalSignature'],
    extKeyUsage: [oid.ekuTimeStamping],
    extKeyUsageCritical: true,
    roles: [],
    ocspNoCheck: false,
    selfSigned: false,
    // CRL pointers and the issuer's certificate, but no OCSP address: the responder answers for the
    // certificates the RA issued, and would call this one "unknown".
    requiredUrls: ['crl', 'caIssuers'],
    identification: false,
    validity: { file: { years: 5 }, token: { years: 5 } },
    restricted: false,
  },
];

const byName = new Map(table.map((p) => [p.name, p]));

export const profiles: readonly CertificateProfile[] = table;
export const profileNames: readonly ProfileName[] = table.map((p) => p.name);

export function isProfileName(name: string): name is ProfileName {
  return byName.has(name as ProfileName);
}

/** The profile of this name; QT_ERR_PROFILE_UNKNOWN lists the known ones. */
export function getProfile(name: string): CertificateProfile {
  const profile = byName.get(name as ProfileName);
  if (!profile) {
    throw new QtError('QT_ERR_PROFILE_UNKNOWN', `There is no certificate profile "${name}"; known profiles: ${profileNames.join(', ')}`, {
      profile: name,
      known: profileNames,
    });
  }
  return profile;
}

/** The EKU OIDs to write: the profile's, then the identification method when given. */
export function profileExtKeyUsage(profile: CertificateProfile, identification?: IdentificationMethod): string[] {
  return identification ? [...profile.extKeyUsage, identificationOids[identification]] : [...profile.extKeyUsage];
}
