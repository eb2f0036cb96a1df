/**
 * Who decides whether the face in the captured frames is the registry's person, alive at the camera:
 * behind one interface, so the decision can come from the RA operators' review queue (the default: a human
 * looks at the registry photo beside the frames), an external biometric service over HTTP, or later an
 * on-device matcher. Nothing here may ever answer "yes" by rule: a verifier either queues the check for
 * someone who decides, or reports the decision of something that compared the images.
 */
import type { ReferencePhoto } from '../../population/index.ts';
import type { LivenessAction } from '../tables.ts';

export interface CapturedFrame {
  readonly role: 'face' | 'liveness';
  readonly mediaType: 'image/png';
  readonly data: Buffer;
}

export interface FaceCheckRequest {
  readonly checkId: string;
  readonly applicationId: string;
  readonly attempt: number;
  readonly iin: string;
  /** The registry's photo; absent when the registry has none (a service may hold its own). */
  readonly reference: ReferencePhoto | undefined;
  readonly face: readonly CapturedFrame[];
  readonly liveness: { readonly action: LivenessAction; readonly frames: readonly CapturedFrame[] };
}

export interface FaceDecision {
  readonly approved: boolean;
  /** Who decided, for the audit log: 'operator:<IIN>', 'service:<host>'. */
  readonly by: string;
  /** A stable reason code (match, face-mismatch, no-liveness, poor-quality, …). */
  readonly reason: string;
  readonly score?: number | undefined;
}

export type FaceVerdict = { readonly kind: 'queued' } | ({ readonly kind: 'decided' } & FaceDecision);

export interface FaceVerifier {
  /** Recorded with every check ('operator', 'http:<host>'). */
  readonly name: string;
  /** Throws QT_ERR_FACE_SERVICE_UNAVAILABLE when the decision cannot be asked for now (nothing is counted). */
  check(request: FaceCheckRequest): Promise<FaceVerdict>;
}

/**
 * The operators' review queue. The queue is the pending checks themselves (remote_face_checks): an
 * operator signed in with the RA-operator role opens the oldest, sees the registry photo beside the
 * frames and decides in the console (apps/server/src/operator).
 */
export class OperatorQueueVerifier implements FaceVerifier {
  readonly name = 'operator';
  async check(): Promise<FaceVerdict> {
    return { kind: 'queued' };
  }
}
