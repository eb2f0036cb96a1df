/** What a certificate is for, read from its key usage and EKU the way NCALayer's users think of it. */
import { oid, oidNames } from '../oids.ts';
import type { KzFields } from '../names/index.ts';
import { identificationOids, type CertificateKind, type IdentificationMethod, type KeyUsageName } from '../profiles/index.ts';

export type CertificateKindInfo = CertificateKind | 'OTHER';

export function certificateKind(keyUsage: readonly KeyUsageName[] | undefined, extKeyUsage: readonly string[], ca: boolean): CertificateKindInfo {
  const ku = new Set(keyUsage ?? []);
  const eku = new Set(extKeyUsage);
  if (ca || ku.has('keyCertSign')) return 'CA';
  if (eku.has(oid.ekuOcspSigning)) return 'OCSP';
  if (eku.has(oid.ekuTimeStamping)) return 'TSA';
  if (ku.has('nonRepudiation') || (eku.has(oid.ekuEmailProtection) && !eku.has(oid.ekuClientAuth))) return 'SIGN';
  if (eku.has(oid.ekuClientAuth) || (ku.has('digitalSignature') && ku.has('keyEncipherment'))) return 'AUTH';
  return 'OTHER';
}

export interface RoleInfo {
  oid: string;
  name: string;
}

/** NCA's subject-role arc (1.2.398.3.3.4.1 persons, .4.2 operators); .4.3 is the identification method. */
const ROLE_ARCS = ['1.2.398.3.3.4.1.', '1.2.398.3.3.4.2.'];

export function rolesOf(extKeyUsage: readonly string[]): RoleInfo[] {
  return extKeyUsage.filter((o) => ROLE_ARCS.some((arc) => o.startsWith(arc))).map((o) => ({ oid: o, name: oidNames[o] ?? o }));
}

export function identificationOf(extKeyUsage: readonly string[]): IdentificationMethod | undefined {
  return (Object.keys(identificationOids) as IdentificationMethod[]).find((m) => extKeyUsage.includes(identificationOids[m]));
}

export type Holder = 'individual' | 'legal-entity' | 'authority';

/**
 * Roles decide when present. Otherwise a person is someone with a surname and an IIN (NCA's service
 * certificates — responders, time-stamping — carry the operator's IIN and BIN but no surname).
 */
export function holderOf(kind: CertificateKindInfo, roles: readonly RoleInfo[], kz: KzFields): Holder {
  if (roles.some((r) => r.oid === oid.roleLegalEntity)) return 'legal-entity';
  if (roles.some((r) => r.oid === oid.roleIndividual)) return 'individual';
  if (kind === 'CA' || kind === 'OCSP' || kind === 'TSA' || !kz.iin || !kz.surname) return 'authority';
  return kz.bin ? 'legal-entity' : 'individual';
}
