/**
 * The tamper-evident audit log: every state change of the service appends an entry in the transaction
 * that makes the change; verifyAudit() walks the chain and names any tampering.
 */
export { appendAudit, queueAuditFrom, queueAuditsFrom } from './append.ts';
export { verifyAudit } from './verify.ts';
export type { AuditProblem, AuditProblemKind, AuditVerification, VerifyAuditOptions } from './verify.ts';
export { loadCheckpoints, type LoadedCheckpoints } from './checkpoints/load.ts';
export type { AuditEntry } from './entry.ts';
