/**
 * What `audit verify` reports. Its own file, below both the chain's check (verify.ts) and the checkpoints'
 * (checkpoints/verify.ts), which report the same kind of problem and are called by the first.
 */
export type AuditProblemKind = 'changed' | 'deleted' | 'reordered' | 'inserted' | 'disagrees' | 'truncated' | 'rewritten' | 'checkpoint';

export interface AuditProblem {
  seq: number;
  kind: AuditProblemKind;
  message: string;
  /** deleted, truncated: the last missing seq of the gap that starts at `seq`. */
  through?: number;
  /** reordered: the seq this row was written with. */
  originalSeq?: number;
  /** disagrees: the certificate, 'certificate:<CA>/<serial>' (seq is the audit event it disagrees with, 0 if none). */
  certificate?: string;
}
