/**
 * Kysely types for the tables created by ./migrations. The SQL files are the truth (constraints,
 * triggers and the reasons behind them live there); these types must follow every migration.
 */
import type { ColumnType, Generated } from 'kysely';
import type { NotifyTables } from '../notify/tables.ts';

/** timestamptz: read as Date, written as Date or an ISO string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
export type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** bytea: read as Buffer. */
export type Bytes = ColumnType<Buffer, Buffer, Buffer>;
/** bigint: `pg` returns int8 as a decimal string so that no value loses precision. */
export type Int8 = ColumnType<string, string | number | bigint, string | number | bigint>;
export type GeneratedInt8 = ColumnType<string, never, never>;
/**
 * jsonb: read as parsed JSON, written as JSON text. Passing JS values directly would let `pg` turn an
 * array into a PostgreSQL array literal instead of JSON.
 */
export type Jsonb<T> = ColumnType<T, string, string>;
export type DefaultedJsonb<T> = ColumnType<T, string | undefined, string>;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type CaKind = 'root' | 'issuing';
export type CaStatus = 'active' | 'retired' | 'revoked';
export type CertificateKind = 'AUTH' | 'SIGN';
export type CertificateStatus = 'good' | 'revoked' | 'on_hold';
export type KeyStorage = 'file' | 'token';
export type ApplicationKind = 'issue' | 'reissue' | 'revoke';
export type ApplicationState = 'submitted' | 'verified' | 'approved' | 'completed' | 'rejected' | 'cancelled' | 'expired';
export type Locale = 'kk' | 'ru' | 'en';

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  checksum: string;
  applied_at: DefaultedTimestamp;
}

export interface CasTable {
  id: Generated<number>;
  name: string;
  kind: CaKind;
  parent_id: number | null;
  subject_dn: string;
  certificate: Bytes;
  subject_key_id: Bytes;
  key_uri: string | null;
  status: ColumnType<CaStatus, CaStatus | undefined, CaStatus>;
  not_before: Timestamp;
  not_after: Timestamp;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface OcspSignersTable {
  id: Generated<number>;
  ca_id: number;
  certificate: Bytes;
  key_uri: string;
  status: ColumnType<'active' | 'retired', 'active' | 'retired' | undefined, 'active' | 'retired'>;
  not_before: Timestamp;
  not_after: Timestamp;
  created_at: DefaultedTimestamp;
}

export interface TsaSignersTable {
  id: Generated<number>;
  ca_id: number;
  certificate: Bytes;
  key_uri: string;
  status: ColumnType<'active' | 'retired', 'active' | 'retired' | undefined, 'active' | 'retired'>;
  not_before: Timestamp;
  not_after: Timestamp;
  created_at: DefaultedTimestamp;
}

export interface CrlStateTable {
  ca_id: number;
  next_crl_number: ColumnType<string, string | number | bigint | undefined, string | number | bigint>;
  last_full_number: Int8 | null;
  last_full_at: Timestamp | null;
  last_delta_number: Int8 | null;
  last_delta_at: Timestamp | null;
  delta_base_number: Int8 | null;
  base_change_id: ColumnType<string, string | number | bigint | undefined, string | number | bigint>;
  /** The last status change the newest CRL (full or delta) covers; changes above it are in no CRL yet. */
  covered_change_id: ColumnType<string, string | number | bigint | undefined, string | number | bigint>;
  updated_at: DefaultedTimestamp;
}

export interface CrlsTable {
  ca_id: number;
  crl_number: Int8;
  kind: 'full' | 'delta';
  base_crl_number: Int8 | null;
  this_update: Timestamp;
  next_update: Timestamp;
  der: Bytes;
  entry_count: number;
  created_at: DefaultedTimestamp;
}

export interface SubjectsTable {
  iin: string;
  surname: string;
  given_name: string;
  patronymic: string | null;
  email: string | null;
  phone: string | null;
  locale: ColumnType<Locale, Locale | undefined, Locale>;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface ApplicationsTable {
  id: Generated<string>;
  kind: ApplicationKind;
  state: ColumnType<ApplicationState, ApplicationState | undefined, ApplicationState>;
  iin: string;
  bin: string | null;
  ca_id: number | null;
  storage: KeyStorage | null;
  identification: 'in_person' | 'remote' | null;
  target_certificate_id: Int8 | null;
  /** What was asked; never secrets. */
  request: DefaultedJsonb<JsonObject>;
  decision_reason: string | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
  expires_at: Timestamp;
}

export interface CertificatesTable {
  id: GeneratedInt8;
  ca_id: number;
  /** Lowercase hex without leading zeros. */
  serial: string;
  der: Bytes;
  kind: CertificateKind;
  profile: string;
  subject_iin: string | null;
  subject_bin: string | null;
  subject_dn: string;
  spki_sha256: Bytes;
  not_before: Timestamp;
  not_after: Timestamp;
  status: ColumnType<CertificateStatus, CertificateStatus | undefined, CertificateStatus>;
  /** RFC 5280 CRLReason code. */
  revocation_reason: number | null;
  revoked_at: Timestamp | null;
  invalidity_date: Timestamp | null;
  storage: KeyStorage;
  application_id: string | null;
  issued_at: DefaultedTimestamp;
}

export interface CertificateStatusChangesTable {
  id: GeneratedInt8;
  certificate_id: Int8;
  ca_id: number;
  serial: string;
  status: CertificateStatus;
  revocation_reason: number | null;
  revoked_at: Timestamp | null;
  invalidity_date: Timestamp | null;
  changed_at: DefaultedTimestamp;
  /** xid8 of the writing transaction, as text (the OCSP cache's change feed polls by it). */
  txid: ColumnType<string, never, never>;
}

export interface OcspResponsesTable {
  ca_id: number;
  serial: string;
  signer_id: number;
  cert_status: CertificateStatus;
  der: Bytes;
  this_update: Timestamp;
  next_update: Timestamp;
}

export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: Bytes;
  response_status: number | null;
  response: Jsonb<JsonValue> | null;
  created_at: DefaultedTimestamp;
  completed_at: Timestamp | null;
  expires_at: Timestamp;
}

export interface AuditLogTable {
  seq: Int8;
  at: Timestamp;
  actor: string;
  action: string;
  target: string | null;
  details: Jsonb<JsonObject>;
  prev_hash: Bytes;
  hash: Bytes;
}

/** Entries queued by appendAudit, sealed into audit_log when their transaction commits. */
export interface AuditPendingTable {
  id: GeneratedInt8;
  actor: string;
  action: string;
  target: string | null;
  details: Jsonb<JsonObject>;
  canonical_before_at: string;
  canonical_before_seq: string;
  canonical_after: string;
}

export interface AuditHeadTable {
  singleton: ColumnType<boolean, boolean | undefined, boolean>;
  seq: Int8;
  hash: Bytes;
}

/** The audit checkpoint key (audit/checkpoints). */
export interface AuditKeysTable {
  id: Generated<number>;
  key_uri: string;
  public_key: Bytes;
  fingerprint: string;
  status: ColumnType<'active' | 'retired', 'active' | 'retired' | undefined, 'active' | 'retired'>;
  created_at: DefaultedTimestamp;
}

/** Signed checkpoints, each as the line the files hold. */
export interface AuditCheckpointsTable {
  id: GeneratedInt8;
  seq: Int8;
  at: Timestamp;
  line: string;
}

/** One run of a periodic cluster job for one period (jobs/ledger.ts). */
export interface JobRunsTable {
  job: string;
  period: Timestamp;
  node: string;
  attempts: ColumnType<number, number | undefined, number>;
  started_at: DefaultedTimestamp;
  lease_until: Timestamp;
  finished_at: Timestamp | null;
}

export interface Database extends NotifyTables {
  schema_migrations: SchemaMigrationsTable;
  cas: CasTable;
  ocsp_signers: OcspSignersTable;
  tsa_signers: TsaSignersTable;
  crl_state: CrlStateTable;
  crls: CrlsTable;
  subjects: SubjectsTable;
  applications: ApplicationsTable;
  certificates: CertificatesTable;
  certificate_status_changes: CertificateStatusChangesTable;
  ocsp_responses: OcspResponsesTable;
  idempotency_keys: IdempotencyKeysTable;
  audit_log: AuditLogTable;
  audit_pending: AuditPendingTable;
  audit_head: AuditHeadTable;
  job_runs: JobRunsTable;
  audit_keys: AuditKeysTable;
  audit_checkpoints: AuditCheckpointsTable;
}
