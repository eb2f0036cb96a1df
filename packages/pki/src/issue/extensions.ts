/**
 * The extensions of a certificate we issue, written straight from a plan as DER, in NCA's order:
 * keyUsage, extKeyUsage, AKI, SKI, certificatePolicies, CRL DP, freshest CRL, AIA (then what NCA's
 * person certificates lack: SAN, basicConstraints for CAs, ocsp-nocheck). Written by hand because
 * building and serialising @peculiar/asn1-x509 objects cost more per certificate than everything else
 * but the CA signature; the bytes are the same.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Extension } from '@peculiar/asn1-x509';
import { oid } from '../oids.ts';
import { toArrayBuffer, utf8, type Bytes } from '../encoding.ts';
import { TAG, contextTag } from '../der/read.ts';
import { boolean, extension, integer, objectIdentifier, octetString, sequence, tlv } from '../der/write.ts';
import { keyUsageFlags } from '../certificate/extensions.ts';
import type { CertificatePlan } from './plan.ts';

const IA5 = 0x16;
const UTF8 = 0x0c;
/** GeneralName choices (IMPLICIT): [1] rfc822Name, [6] uniformResourceIdentifier — both IA5String. */
const rfc822Name = (email: string): Bytes => tlv(contextTag(1, false), utf8(email));
const uri = (url: string): Bytes => tlv(contextTag(6, false), utf8(url));

/** A named-bit BIT STRING (KeyUsage): bit i of `flags` is bit i of the string; trailing zero bits dropped (DER). */
function namedBits(flags: number): Bytes {
  if (flags === 0) return new Uint8Array([TAG.bitString, 2, 7, 0]);
  const length = 32 - Math.clz32(flags);
  const octets = new Uint8Array(1 + Math.ceil(length / 8));
  octets[0] = (octets.length - 1) * 8 - length;
  for (let i = 0; i < length; i++) if (flags & (1 << i)) octets[1 + (i >> 3)]! |= 0x80 >> (i & 7);
  return tlv(TAG.bitString, octets);
}

/** CRLDistributionPoints / FreshestCRL: one DistributionPoint { [0] distributionPoint { [0] fullName } }. */
function distributionPoints(urls: readonly string[]): Bytes {
  return sequence(sequence(tlv(contextTag(0, true), tlv(contextTag(0, true), ...urls.map(uri)))));
}

function policies(plan: CertificatePlan): Bytes {
  const info = [objectIdentifier(plan.profile.policy!)];
  if (plan.cps) {
    info.push(
      sequence(
        sequence(objectIdentifier(oid.qualifierCps), tlv(IA5, utf8(plan.cps.uri))),
        sequence(objectIdentifier(oid.qualifierUserNotice), sequence(tlv(UTF8, utf8(plan.cps.notice)))),
      ),
    );
  }
  return sequence(sequence(...info));
}

/** Each extension as a complete Extension DER, in the order they go into the certificate. */
export function extensionsDer(plan: CertificatePlan): Bytes[] {
  const { profile, urls } = plan;
  const list: Bytes[] = [];
  if (profile.basicConstraints) {
    const pathLength = profile.basicConstraints.pathLength;
    list.push(extension(oid.basicConstraints, true, sequence(boolean(true), ...(pathLength === undefined ? [] : [integer(pathLength)]))));
  }
  list.push(extension(oid.keyUsage, true, namedBits(keyUsageFlags(profile.keyUsage))));
  if (plan.extKeyUsage.length) list.push(extension(oid.extKeyUsage, profile.extKeyUsageCritical, sequence(...plan.extKeyUsage.map(objectIdentifier))));
  list.push(extension(oid.authorityKeyIdentifier, false, sequence(tlv(contextTag(0, false), plan.authorityKeyId))));
  list.push(extension(oid.subjectKeyIdentifier, false, octetString(plan.subjectKeyId)));
  if (profile.policy) list.push(extension(oid.certificatePolicies, false, policies(plan)));
  if (urls.crl.length) list.push(extension(oid.crlDistributionPoints, false, distributionPoints(urls.crl)));
  if (urls.deltaCrl.length) list.push(extension(oid.freshestCrl, false, distributionPoints(urls.deltaCrl)));
  const access = [
    ...urls.caIssuers.map((u) => sequence(objectIdentifier(oid.accessCaIssuers), uri(u))),
    ...urls.ocsp.map((u) => sequence(objectIdentifier(oid.accessOcsp), uri(u))),
  ];
  if (access.length) list.push(extension(oid.authorityInfoAccess, false, sequence(...access)));
  if (plan.email) list.push(extension(oid.subjectAltName, false, sequence(rfc822Name(plan.email))));
  if (profile.ocspNoCheck) list.push(extension(oid.ocspNoCheck, false, new Uint8Array([TAG.null, 0])));
  return list;
}

/** The same extensions as @peculiar/asn1-x509 objects, for tests that build deliberately wrong certificates. */
export function buildExtensions(plan: CertificatePlan): Extension[] {
  return extensionsDer(plan).map((der) => AsnConvert.parse(toArrayBuffer(der), Extension));
}

/** The [3] EXPLICIT Extensions field of a TBSCertificate. */
export function extensionsField(extensions: readonly Bytes[]): Bytes {
  return tlv(contextTag(3, true), sequence(...extensions));
}
