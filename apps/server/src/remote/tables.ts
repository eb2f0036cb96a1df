/**
 * Kysely types of remote issuance's tables (migration 0011_remote_issuance.sql holds the constraints and
 * the reasons). `remoteDb(db)` adds them, with the portal's and the population registry's, to the store's.
 */
import type { ColumnType, Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { PortalTables, InstalledKeyFile } from '../portal/tables.ts';
import type { PopulationTables } from '../population/tables.ts';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Bytes = ColumnType<Buffer, Buffer, Buffer>;
type Int8 = ColumnType<string, string | number | bigint, string | number | bigint>;

export type LivenessAction = 'turn-left' | 'turn-right';
export const LIVENESS_ACTIONS: readonly LivenessAction[] = ['turn-left', 'turn-right'];
export type FaceCheckState = 'pending' | 'approved' | 'rejected' | 'failed' | 'withdrawn';

export interface RemoteApplicationsTable {
  application_id: string;
  iin: string;
  phone_sha256: Bytes;
  client_ip: string;
  email: string | null;
  storage: 'file' | 'token';
  session_sha256: Bytes | null;
  code_verified_at: Timestamp | null;
  document_attempts: ColumnType<number, number | undefined, number>;
  document_checked_at: Timestamp | null;
  face_rejections: ColumnType<number, number | undefined, number>;
  capture_id: string | null;
  capture_action: LivenessAction | null;
  capture_expires_at: Timestamp | null;
  agent_request_id: string | null;
  auth_certificate_id: Int8 | null;
  sign_certificate_id: Int8 | null;
  installed: ColumnType<InstalledKeyFile[] | null, string | null, string | null>;
  installed_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RemoteClaimsTable {
  application_id: string;
  session_sha256: Bytes;
  created_at: Timestamp;
}

export interface RemoteStartsTable {
  id: ColumnType<string, never, never>;
  at: Timestamp;
  client_ip: string;
  iin: string;
  outcome: string;
}

export interface FaceMeasurements {
  width: number;
  height: number;
  /** Mean brightness of each frame, 0–255. */
  brightness: number[];
  /** Largest change (luma.ts motionBetween) between a liveness frame and the first face frame. */
  motion: number;
}

export interface RemoteFaceChecksTable {
  id: ColumnType<string, string | undefined, never>;
  application_id: string;
  attempt: number;
  verifier: string;
  liveness_action: LivenessAction;
  state: ColumnType<FaceCheckState, FaceCheckState | undefined, FaceCheckState>;
  frames: number;
  measurements: ColumnType<FaceMeasurements, string, string>;
  claimed_by: string | null;
  claimed_until: Timestamp | null;
  decided_by: string | null;
  decided_at: Timestamp | null;
  reason: string | null;
  score: number | null;
  images_deleted_at: Timestamp | null;
  created_at: Timestamp;
}

export interface RemoteFaceImagesTable {
  check_id: string;
  idx: number;
  role: 'face' | 'liveness';
  media_type: 'image/png';
  data: Bytes;
}

export type RemoteTables = {
  remote_applications: RemoteApplicationsTable;
  remote_claims: RemoteClaimsTable;
  remote_starts: RemoteStartsTable;
  remote_face_checks: RemoteFaceChecksTable;
  remote_face_images: RemoteFaceImagesTable;
};

export type RemoteDatabase = Database & PortalTables & PopulationTables & RemoteTables;

export function remoteDb(db: Kysely<Database>): Kysely<RemoteDatabase> {
  return db.withTables<PortalTables & PopulationTables & RemoteTables>();
}
