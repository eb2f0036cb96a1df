/**
 * Building the TBSCertificate from a plan, and a certificate from TBS bytes and a signature, as DER
 * written directly: the names and the public key go in as the exact bytes the plan holds (never
 * decoded and re-encoded), so what the lint reads back is what the plan says, byte for byte.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import type { Extension } from '@peculiar/asn1-x509';
import type { Bytes } from '../encoding.ts';
import { algorithmIdentifierDer, type SignatureAlgorithmId } from '../crypto/index.ts';
import { contextTag, TAG } from '../der/read.ts';
import { integer, sequence, time, tlv } from '../der/write.ts';
import { extensionsDer, extensionsField } from './extensions.ts';
import type { CertificatePlan } from './plan.ts';

const VERSION_3 = tlv(contextTag(0, true), integer(2));

/** `extensions` replaces the plan's (tests build deliberately wrong certificates this way). */
export function buildTbs(plan: CertificatePlan, extensions?: Extension[]): Bytes {
  const extensionList = extensions ? extensions.map((e) => new Uint8Array(AsnConvert.serialize(e))) : extensionsDer(plan);
  return sequence(
    VERSION_3,
    // The serial's bytes verbatim: the plan decided them, and the lint judges exactly those (sign, length).
    tlv(TAG.integer, plan.serial),
    algorithmIdentifierDer(plan.signatureAlgorithm),
    plan.issuerName,
    // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
    sequence(time(plan.notBefore), time(plan.notAfter)),
    plan.subject,
    plan.publicKey,
    extensionsField(extensionList),
  );
}

/**
 * The certificate around exactly these TBS bytes. Assembled by hand rather than re-serialised, so the
 * bytes that were linted are the bytes that get signed.
 */
export function assembleCertificate(tbs: Bytes, algorithm: SignatureAlgorithmId, signature: Uint8Array): Bytes {
  return sequence(tbs, algorithmIdentifierDer(algorithm), tlv(TAG.bitString, new Uint8Array([0]), signature));
}
