/**
 * @qoltanba/server's public entry: what the `qoltanba` CLI composes (start the server, run the ceremony,
 * open the store for operator commands). Everything else in this app is internal.
 */
export { startServer, VERSION, type RunningServer, type StartOptions } from './start.ts';
export type { DemoFile } from './demo/seed.ts';
export { loadServerConfig, roles, type Role, type ServerConfig, type ServerConfigOverrides } from './config.ts';
export { loadCeremonyConfig, defaultCeremonyConfig, initialCeremonyConfig, gostIssuingPlan, type CeremonyConfig } from './ca/ceremony-config.ts';
export { runCeremony, publishCaCertificates, type CaSummary } from './ca/ceremony.ts';
export { initializeCa, type CaInitResult } from './ca/init.ts';
export { normalizePublicUrl, storedPublicUrl } from './system/installation.ts';
export { parseWorkers, reportReady, requireSharedDatabase, startWorkers, workerIndex, type WorkerPool } from './system/workers.ts';
export { openDatabase, migrate, type Store } from './store/index.ts';
export { verifyAudit, loadCheckpoints, type AuditVerification, type AuditProblem, type LoadedCheckpoints } from './audit/index.ts';
export { resolvePassphrase } from './secrets.ts';
export { localAdminContext, runningLocalAdminContext, type LocalAdminContext } from './local-admin.ts';
export { issue, revoke, hold, releaseHold, certificateStatus, listBySubject, revocationReasons, normalizeSerial, type RevocationReason, type CertificateRecord } from './ra/index.ts';
export { issueRaOperator, listRaOperators, revokeRaOperator, RA_OPERATOR_PROFILE } from './ra/index.ts';
export { createApiToken, revokeApiToken, listApiTokens, apiScopes, type ApiScope } from './api/index.ts';
export * as notify from './notify/index.ts';
export * as population from './population/index.ts';
export { RevocationFetcher, resolveVerifyOptions, trustPresets, presetTrust, homeCaTrust, readCertificateFile, type VerifyOptions, type TrustPreset, type TrustSet } from './verify/index.ts';
