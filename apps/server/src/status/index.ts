/**
 * Status: the OCSP responder (RFC 6960 / RFC 5019) answering from responses pre-signed by each CA's
 * delegated OCSP signer, and full + delta CRL generation and publication (RFC 5280), with the CA list
 * relying parties discover it all from.
 */
export { createStatusService, StatusService, type StatusServiceOptions, type TickResult } from './service.ts';
export { statusRoutes, caUrls, type CaUrls, type StatusRoutesOptions } from './routes.ts';
export { CaDirectory, type CaEntry, type CaDirectoryOptions, type OcspSignerEntry } from './directory.ts';
export { type CrlKind, type GeneratedCrl, type GenerateCrlOptions } from './crl/generate.ts';
export { type PublishedCrl } from './crl/latest.ts';
export { type OcspAnswer, type OcspOutcome } from './ocsp/responder.ts';
export { type RefreshOptions, type RefreshResult } from './ocsp/refresh.ts';
export { DELTA_QUEUE, TICK_QUEUE, type ScheduleOptions } from './schedule.ts';
