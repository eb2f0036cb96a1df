/** Building the TBSCertificate from a plan, and a certificate from TBS bytes and a signature. */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Extensions, Name, SubjectPublicKeyInfo, TBSCertificate, Time, Validity, Version, type Extension } from '@peculiar/asn1-x509';
import { concatBytes, toArrayBuffer, type Bytes } from '../encoding.ts';
import { tlv } from '../names/tlv.ts';
import { algorithmIdentifier, algorithmIdentifierDer, type SignatureAlgorithmId } from '../crypto/index.ts';
import { buildExtensions } from './extensions.ts';
import type { CertificatePlan } from './plan.ts';

/** `extensions` replaces the plan's (tests build deliberately wrong certificates this way). */
export function buildTbs(plan: CertificatePlan, extensions: Extension[] = buildExtensions(plan)): Bytes {
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: toArrayBuffer(plan.serial),
    signature: algorithmIdentifier(plan.signatureAlgorithm),
    issuer: AsnConvert.parse(toArrayBuffer(plan.issuerName), Name),
    validity: new Validity({ notBefore: plan.notBefore, notAfter: plan.notAfter }),
    subject: AsnConvert.parse(toArrayBuffer(plan.subject), Name),
    subjectPublicKeyInfo: AsnConvert.parse(toArrayBuffer(plan.publicKey), SubjectPublicKeyInfo),
    extensions: new Extensions(extensions),
  });
  // Validity's constructor picks UTCTime/GeneralizedTime by year (RFC 5280 §4.1.2.5); keep it explicit.
  tbs.validity.notBefore = new Time(plan.notBefore);
  tbs.validity.notAfter = new Time(plan.notAfter);
  return new Uint8Array(AsnConvert.serialize(tbs));
}

/**
 * The certificate around exactly these TBS bytes. Assembled by hand rather than re-serialised, so the
 * bytes that were linted are the bytes that get signed.
 */
export function assembleCertificate(tbs: Bytes, algorithm: SignatureAlgorithmId, signature: Uint8Array): Bytes {
  const bitString = tlv(0x03, concatBytes([0], signature));
  return tlv(0x30, concatBytes(tbs, algorithmIdentifierDer(algorithm), bitString));
}
