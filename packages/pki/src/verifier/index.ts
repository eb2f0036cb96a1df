/**
 * The relying party's verifier: one verdict on a certificate, a CMS signature or a signed XML — signatures,
 * chain (path/), revocation from what the caller brings or the certificates' own OCSP/CRL addresses
 * (fail-closed by default), within limits. The CLI's `verify` and the server's REST routes all use it.
 */
export { verifyDocument } from './document.ts';
export { verifyCertificateDocument, verifyDataSignature, signatureOidForKey, type DataSignature } from './certificate.ts';
export { verifyCmsDocument } from './cms.ts';
export { verifyXmlDocument } from './xml.ts';
export { detectKind, type VerifiableKind } from './detect.ts';
export { describeVerdict, describeSigner, describeCertificate, describeChainElement, type CertificateDescription, type VerdictDescription } from './describe.ts';
export { DEFAULT_VERIFIER_LIMITS, xmlDepth, type VerifierLimits } from './limits.ts';
export type { DocumentKind, DocumentVerdict, RevocationKind, RevocationSource, SignerVerdict, VerifyDocumentOptions } from './types.ts';
