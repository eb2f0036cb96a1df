export { profiles, profileNames, getProfile, isProfileName, profileExtKeyUsage, identificationOids, anyPolicyOid } from './profiles.ts';
export type {
  CertificateProfile,
  ProfileName,
  CertificateKind,
  KeyUsageName,
  SubjectType,
  UrlKind,
  KeyStorage,
  LegalRole,
  IdentificationMethod,
} from './profiles.ts';
export { matchProfile } from './match.ts';
export type { ProfileFeatures } from './match.ts';
export { addPeriod, formatPeriod } from './period.ts';
export type { Period } from './period.ts';
