/**
 * Remote issuance's knobs (server.json "remote", or the feature's options in tests), with defaults. The
 * external face service's bearer token is read from the environment variable `tokenEnv` names, never from
 * the file.
 */
import { QtError } from '@qoltanba/pki';

export type FaceVerifierSettings =
  | { type: 'operator' }
  | { type: 'http'; url: string; tokenEnv?: string; timeoutMs?: number; minScore?: number };

/**
 * server.json "remote" with the options given in code (tests) on top; an option given as undefined keeps
 * the file's value. Takes the context's shape rather than its type: config.ts imports this file.
 */
export function remoteSettings(ctx: { config: { remote?: RemoteOptions | undefined } }, overrides: RemoteOptions = {}): RemoteOptions {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return { ...(ctx.config.remote ?? {}), ...defined };
}

export interface RemoteOptions {
  /** An application not completed by then expires (default 24 h). */
  applicationHours?: number;
  /** Captured face frames are deleted this long after capture, decided or not (default 72 h). */
  imageRetentionHours?: number;
  /** Face checks decided "no" before the application is refused and the page sends the person to a centre (5). */
  maxFaceRejections?: number;
  /** Wrong document entries before the application is refused (3). */
  maxDocumentAttempts?: number;
  /** «Starts» (an IIN checked) per client address and per IIN per 24 h, counted in the database. */
  startsPerIpPerDay?: number;
  startsPerIinPerDay?: number;
  /** Remote applications per phone number per 24 h (a family may share one phone). */
  applicationsPerPhonePerDay?: number;
  /** Remote applications per IIN per 24 h. */
  applicationsPerIinPerDay?: number;
  /** How long the page may take between asking for a capture and uploading it. */
  captureMinutes?: number;
  /** The frames upload: whole request body, and each frame decoded. */
  uploadBytes?: number;
  frameBytes?: number;
  /** Frames larger than this (pixels) are refused. */
  frameMaxWidth?: number;
  frameMaxHeight?: number;
  /** Least change of the picture (0–255, 8×8-block averages) between the first face frame and the liveness frames. */
  minMotion?: number;
  /** An operator who opens a review holds it this long. */
  reviewClaimMinutes?: number;
  /** How often each node runs the expiry and retention sweep. */
  sweepEveryMinutes?: number;
  faceVerifier?: FaceVerifierSettings;
}

export interface ResolvedRemoteOptions {
  applicationMs: number;
  imageRetentionMs: number;
  maxFaceRejections: number;
  maxDocumentAttempts: number;
  startsPerIpPerDay: number;
  startsPerIinPerDay: number;
  applicationsPerPhonePerDay: number;
  applicationsPerIinPerDay: number;
  captureMs: number;
  uploadBytes: number;
  frameBytes: number;
  frameMaxWidth: number;
  frameMaxHeight: number;
  minMotion: number;
  reviewClaimMs: number;
  sweepEveryMs: number;
  faceVerifier: FaceVerifierSettings;
}

export function resolveRemoteOptions(o: RemoteOptions = {}): ResolvedRemoteOptions {
  const hours = (n: number) => n * 3_600_000;
  const positive = (name: keyof RemoteOptions, v: number) => {
    if (!Number.isFinite(v) || v <= 0) throw new QtError('QT_ERR_INPUT_INVALID', `remote.${name} must be a positive number, not ${v}`, { field: `remote.${name}` });
    return v;
  };
  const verifier = o.faceVerifier ?? { type: 'operator' };
  if (verifier.type === 'http') {
    try {
      const u = new URL(verifier.url);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('not http(s)');
    } catch {
      throw new QtError('QT_ERR_INPUT_INVALID', `remote.faceVerifier.url "${verifier.url}" is not an http(s) URL`, { field: 'remote.faceVerifier.url' });
    }
  } else if (verifier.type !== 'operator') {
    throw new QtError('QT_ERR_INPUT_INVALID', 'remote.faceVerifier.type must be "operator" or "http"', { field: 'remote.faceVerifier.type' });
  }
  return {
    applicationMs: hours(positive('applicationHours', o.applicationHours ?? 24)),
    imageRetentionMs: hours(positive('imageRetentionHours', o.imageRetentionHours ?? 72)),
    maxFaceRejections: positive('maxFaceRejections', o.maxFaceRejections ?? 5),
    maxDocumentAttempts: positive('maxDocumentAttempts', o.maxDocumentAttempts ?? 3),
    startsPerIpPerDay: positive('startsPerIpPerDay', o.startsPerIpPerDay ?? 30),
    startsPerIinPerDay: positive('startsPerIinPerDay', o.startsPerIinPerDay ?? 10),
    applicationsPerPhonePerDay: positive('applicationsPerPhonePerDay', o.applicationsPerPhonePerDay ?? 5),
    applicationsPerIinPerDay: positive('applicationsPerIinPerDay', o.applicationsPerIinPerDay ?? 3),
    captureMs: positive('captureMinutes', o.captureMinutes ?? 10) * 60_000,
    uploadBytes: positive('uploadBytes', o.uploadBytes ?? 4 * 1024 * 1024),
    frameBytes: positive('frameBytes', o.frameBytes ?? 512 * 1024),
    frameMaxWidth: positive('frameMaxWidth', o.frameMaxWidth ?? 1280),
    frameMaxHeight: positive('frameMaxHeight', o.frameMaxHeight ?? 960),
    minMotion: positive('minMotion', o.minMotion ?? 1.5),
    reviewClaimMs: positive('reviewClaimMinutes', o.reviewClaimMinutes ?? 10) * 60_000,
    sweepEveryMs: positive('sweepEveryMinutes', o.sweepEveryMinutes ?? 15) * 60_000,
    faceVerifier: verifier,
  };
}
