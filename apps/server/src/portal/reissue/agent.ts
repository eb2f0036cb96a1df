/**
 * What the agent (application.js) sends at the last two steps, read once for the portal's re-issuance and
 * remote issuance (both drive the same agent): its request id and the two new keys' CSRs (`answerKeys`, the
 * keys step), then the files it installed. Anything malformed is QT_ERR_INPUT_INVALID before the RA is asked
 * anything.
 */
import type { Kysely } from 'kysely';
import { parseCsr, QtError } from '@qoltanba/pki';
import { issuedForAgent, issuedForAgentFrom, type IssuedForAgent, type IssuedPair } from '../../ra/index.ts';
import type { Database } from '../../store/schema.ts';
import type { InstalledKeyFile } from '../tables.ts';

const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** A CSR is a few kilobytes; the RA's own limit (csrBytes) applies again after parsing. */
const MAX_CSR_CHARS = 32_768;

function readRequestId(value: unknown): string {
  if (typeof value !== 'string' || !REQUEST_ID.test(value)) throw new QtError('QT_ERR_INPUT_INVALID', 'requestId is missing or malformed');
  return value;
}

export type AgentCsrs = { AUTHENTICATION: string; SIGNATURE: string };

/** What a surface keeps of the agent's keys step beside the application. */
export interface AgentKeysRecord {
  iin: string;
  agentRequestId: string | null;
  authCertificateId: string | null;
  signCertificateId: string | null;
}

export interface KeysStep<R extends AgentKeysRecord> {
  /** Refuses unless the application is at the surface's keys step. */
  expectKeys(r: R): void;
  /**
   * Has the RA issue the pair and complete the application (issueForApplication), recording it in the surface's
   * row; returns the pair (the row names the same two certificates after the commit, so it is not read again).
   */
  issue(r: R, requestId: string, csrs: AgentCsrs): Promise<IssuedPair>;
}

/**
 * The keys step, the same for both surfaces: a retry of the request that got the certificates gets them again
 * (the agent may have lost the answer), any other request for an application that has them is refused, and
 * otherwise the two CSRs go to the RA.
 */
export async function answerKeys<R extends AgentKeysRecord>(db: Kysely<Database>, r: R, body: { requestId: unknown; keys: unknown }, step: KeysStep<R>): Promise<IssuedForAgent> {
  const requestId = readRequestId(body.requestId);
  if (r.authCertificateId && r.signCertificateId) {
    if (r.agentRequestId !== requestId) throw new QtError('QT_ERR_APPLICATION_STATE', 'Certificates were already issued for other keys');
    return issuedForAgent(db, r);
  }
  step.expectKeys(r);
  const pair = await step.issue(r, requestId, readAgentCsrs(body.keys));
  // A pair signed just now comes with its chain: nothing to read again. A replayed one is read as stored.
  if (pair.chain) return issuedForAgentFrom({ ...pair, chain: pair.chain }, r.iin, requestId);
  return issuedForAgent(db, { iin: r.iin, authCertificateId: pair.auth.id, signCertificateId: pair.sign.id, agentRequestId: requestId });
}

/** The agent's two CSRs: exactly one AUTHENTICATION and one SIGNATURE, each parseable. */
export function readAgentCsrs(keys: unknown): AgentCsrs {
  if (!Array.isArray(keys) || keys.length !== 2) throw new QtError('QT_ERR_INPUT_INVALID', 'Two keys (AUTHENTICATION and SIGNATURE) are expected');
  const out: Partial<Record<'AUTHENTICATION' | 'SIGNATURE', string>> = {};
  for (const k of keys as { keyType?: unknown; csr?: unknown }[]) {
    const type = k?.keyType;
    if ((type !== 'AUTHENTICATION' && type !== 'SIGNATURE') || typeof k.csr !== 'string' || k.csr.length > MAX_CSR_CHARS || out[type]) {
      throw new QtError('QT_ERR_INPUT_INVALID', 'Each key needs keyType AUTHENTICATION or SIGNATURE, once, and a csr');
    }
    parseCsr(k.csr);
    out[type] = k.csr;
  }
  return out as AgentCsrs;
}

/** The agent's installation report: which key went into which file (names and key ids only). */
export function readInstalled(value: unknown): InstalledKeyFile[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 4) throw new QtError('QT_ERR_INPUT_INVALID', 'installed must list the installed keys');
  return value.map((v: Record<string, unknown>) => {
    const keyType = v?.keyType;
    if (keyType !== 'AUTHENTICATION' && keyType !== 'SIGNATURE') throw new QtError('QT_ERR_INPUT_INVALID', 'installed keyType must be AUTHENTICATION or SIGNATURE');
    const fileName = typeof v.fileName === 'string' && /^[A-Za-z0-9_.-]{1,128}$/.test(v.fileName) ? v.fileName : undefined;
    const subjectKeyId = typeof v.subjectKeyId === 'string' && /^[0-9a-f]{2,128}$/.test(v.subjectKeyId) ? v.subjectKeyId : undefined;
    return { keyType, ...(fileName ? { fileName } : {}), ...(subjectKeyId ? { subjectKeyId } : {}) };
  });
}
