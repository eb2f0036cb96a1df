/**
 * The registration authority's service core: issuance (one transaction, idempotent), applications (filed,
 * moved and fulfilled only here), revocation, hold and release, and certificate lookups — plain functions
 * over a ServerContext, used by the CA API (../api), the portal, remote issuance, the demo seed and the CLI
 * (README.md). Status changes reach OCSP and CRLs through StatusHooks.
 */
export { createRa, type Ra, type RaOptions } from './ra.ts';
export { issue, issuanceBatchSizes, issuanceBatchTotals } from './batch.ts';
export { type IssueRequest, type IssueResult, type IssueSubject } from './issue.ts';
export { revoke, hold, releaseHold, revocationReasons, type RevocationReason, type RevokeRequest, type HoldRequest, type StatusChangeRequest, type StatusChangeResult } from './revoke.ts';
export { issueRaOperator, listRaOperators, revokeRaOperator, RA_OPERATOR_PROFILE, type IssueRaOperatorRequest } from './operators.ts';
export { createApplication, moveApplication, countApplications, openIssuance, OPEN_STATES, APPLICATION_MOVES, type NewApplication, type ApplicationMove } from './applications.ts';
export { issueForApplication, issuedForAgent, issuedForAgentFrom, type ApplicationIssuance, type IssuedPair, type IssuedForAgent } from './issue-for-application.ts';
export { certificateStatus, listBySubject, type CertificateRecord } from './records.ts';
export { statusHooksFor, noStatusHooks, type StatusHooks, type StatusServiceLike } from './hooks.ts';
export { normalizeSerial } from './serial.ts';
export { purgeExpiredIdempotencyKeys } from './idempotency.ts';
export { translateDbError, isConnectionFailure } from './db-errors.ts';
