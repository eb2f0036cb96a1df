/** The tamper-evident audit log: every state change of the service appends here, in its own transaction. */
export { appendAudit } from './append.ts';
export { verifyAudit } from './verify.ts';
export type { AuditProblem, AuditProblemKind, AuditVerification } from './verify.ts';
export type { AuditEntry } from './entry.ts';
export { canonicalJson, canonicalRow, canonicalRowAround, rowHash, GENESIS_HASH } from './canonical.ts';
