/**
 * The relying-party verification service: /api/v1/verify and NCANode's REST shapes over the verifier core
 * of @qoltanba/pki, with a trust store and revocation fetched over HTTP with limits and a cache. See README.md.
 */
export { verifyFeature, type VerifyFeatureOptions } from './feature.ts';
export { resolveVerifyOptions, trustPresets, type VerifyOptions, type ResolvedVerifyOptions, type TrustPreset } from './options.ts';
export { RevocationFetcher } from './fetch/source.ts';
export { presetTrust, homeCaTrust, readCertificateFile, registryTrust, type TrustSet, type TrustStore } from './trust.ts';
export { createVerifyService, type VerifyService } from './service.ts';
