/**
 * Kysely types of the portal's tables (migration 0008_portal_sessions.sql holds the constraints and the
 * reasons). The portal owns them, so they live here and are added to the store's Database with
 * `portalDb(db)` (Kysely's withTables) instead of widening store/schema.ts for one feature.
 */
import type { ColumnType, Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Bytes = ColumnType<Buffer, Buffer, Buffer>;
type Int8 = ColumnType<string, string | number | bigint, string | number | bigint>;

export type SessionEndReason = 'logout' | 'login' | 'idle' | 'absolute' | 'revoked';
export type ChallengePurpose = 'login' | 'application' | 'revoke';
export type SessionAudience = 'citizen' | 'operator';

export interface PortalSessionsTable {
  token_sha256: Bytes;
  iin: string | null;
  certificate_id: Int8 | null;
  csrf_token: string;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  idle_expires_at: Timestamp;
  expires_at: Timestamp;
  ended_at: Timestamp | null;
  end_reason: SessionEndReason | null;
  /** Whose pages the session opens (migration 0011): citizens' or the RA operators' review console. */
  audience: ColumnType<SessionAudience, SessionAudience | undefined, SessionAudience>;
}

export interface PortalChallengesTable {
  id: ColumnType<string, string | undefined, never>;
  session_sha256: Bytes;
  purpose: ChallengePurpose;
  application_id: string | null;
  targets: ColumnType<string[], string[] | undefined, string[]>;
  content: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface InstalledKeyFile {
  keyType: string;
  fileName?: string;
  subjectKeyId?: string;
}

export interface PortalReissuesTable {
  application_id: string;
  iin: string;
  email: string | null;
  storage: 'file' | 'token';
  revoke_old: ColumnType<boolean, boolean | undefined, boolean>;
  old_certificate_ids: ColumnType<string[], string[], string[]>;
  signed_cms: Bytes | null;
  signed_at: Timestamp | null;
  signer_certificate_id: Int8 | null;
  agent_request_id: string | null;
  auth_certificate_id: Int8 | null;
  sign_certificate_id: Int8 | null;
  installed: ColumnType<InstalledKeyFile[] | null, string | null, string | null>;
  installed_at: Timestamp | null;
  old_revoked_at: Timestamp | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface PortalOtpsTable {
  application_id: string;
  iin: string;
  code_sha256: Bytes;
  salt: Bytes;
  phone_masked: string;
  sends: number;
  attempts: ColumnType<number, number | undefined, number>;
  sent_at: Timestamp;
  expires_at: Timestamp;
  verified_at: Timestamp | null;
}

// A type alias, not an interface: Kysely's withTables wants a record type with an implicit index signature.
export type PortalTables = {
  portal_sessions: PortalSessionsTable;
  portal_challenges: PortalChallengesTable;
  portal_reissues: PortalReissuesTable;
  portal_otps: PortalOtpsTable;
};

export type PortalDatabase = Database & PortalTables;

/** The store's database (or a transaction on it) with the portal's tables typed as well. */
export function portalDb(db: Kysely<Database>): Kysely<PortalDatabase> {
  return db.withTables<PortalTables>();
}
