/**
 * The extensions of a certificate we issue, built from a plan with @peculiar/asn1-x509, in NCA's
 * order: keyUsage, extKeyUsage, AKI, SKI, certificatePolicies, CRL DP, freshest CRL, AIA (then
 * what NCA's person certificates lack: SAN, basicConstraints for CAs, ocsp-nocheck).
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AccessDescription,
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  CertificatePolicies,
  CRLDistributionPoints,
  DisplayText,
  DistributionPoint,
  DistributionPointName,
  ExtendedKeyUsage,
  Extension,
  FreshestCRL,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  PolicyInformation,
  PolicyQualifierInfo,
  Qualifier,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  UserNotice,
} from '@peculiar/asn1-x509';
import { oid } from '../oids.ts';
import { toArrayBuffer } from '../encoding.ts';
import { keyUsageFlags } from '../certificate/extensions.ts';
import type { CertificatePlan } from './plan.ts';

function extension(extnID: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

function distributionPoints(urls: readonly string[]): DistributionPoint[] {
  return [new DistributionPoint({ distributionPoint: new DistributionPointName({ fullName: urls.map((u) => new GeneralName({ uniformResourceIdentifier: u })) }) })];
}

function policies(plan: CertificatePlan): CertificatePolicies {
  const qualifiers = plan.cps
    ? [
        new PolicyQualifierInfo({ policyQualifierId: oid.qualifierCps, qualifier: AsnConvert.serialize(new Qualifier({ cPSuri: plan.cps.uri })) }),
        new PolicyQualifierInfo({
          policyQualifierId: oid.qualifierUserNotice,
          qualifier: AsnConvert.serialize(new UserNotice({ explicitText: new DisplayText({ utf8String: plan.cps.notice }) })),
        }),
      ]
    : undefined;
  return new CertificatePolicies([new PolicyInformation({ policyIdentifier: plan.profile.policy!, policyQualifiers: qualifiers })]);
}

export function buildExtensions(plan: CertificatePlan): Extension[] {
  const { profile, urls } = plan;
  const list: Extension[] = [];
  if (profile.basicConstraints) {
    list.push(extension(oid.basicConstraints, true, new BasicConstraints({ cA: true, pathLenConstraint: profile.basicConstraints.pathLength })));
  }
  const ku = new KeyUsage();
  ku.fromNumber(keyUsageFlags(profile.keyUsage));
  list.push(extension(oid.keyUsage, true, ku));
  if (plan.extKeyUsage.length) list.push(extension(oid.extKeyUsage, false, new ExtendedKeyUsage(plan.extKeyUsage)));
  list.push(extension(oid.authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(toArrayBuffer(plan.authorityKeyId)) })));
  list.push(extension(oid.subjectKeyIdentifier, false, new SubjectKeyIdentifier(toArrayBuffer(plan.subjectKeyId))));
  if (profile.policy) list.push(extension(oid.certificatePolicies, false, policies(plan)));
  if (urls.crl.length) list.push(extension(oid.crlDistributionPoints, false, new CRLDistributionPoints(distributionPoints(urls.crl))));
  if (urls.deltaCrl.length) list.push(extension(oid.freshestCrl, false, new FreshestCRL(distributionPoints(urls.deltaCrl))));
  const access = [
    ...urls.caIssuers.map((u) => new AccessDescription({ accessMethod: oid.accessCaIssuers, accessLocation: new GeneralName({ uniformResourceIdentifier: u }) })),
    ...urls.ocsp.map((u) => new AccessDescription({ accessMethod: oid.accessOcsp, accessLocation: new GeneralName({ uniformResourceIdentifier: u }) })),
  ];
  if (access.length) list.push(extension(oid.authorityInfoAccess, false, new AuthorityInfoAccessSyntax(access)));
  if (plan.email) list.push(extension(oid.subjectAltName, false, new SubjectAlternativeName([new GeneralName({ rfc822Name: plan.email })])));
  if (profile.ocspNoCheck) list.push(new Extension({ extnID: oid.ocspNoCheck, critical: false, extnValue: new OctetString(new Uint8Array([5, 0]).buffer) }));
  return list;
}
