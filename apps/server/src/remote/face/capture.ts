/**
 * The uploaded capture, checked by the server before anyone is asked to look at it. The page claims it
 * filmed a face looking at the camera and then turning; the server verifies what it can without a face
 * model: real PNG frames of one size, within the size limits, lit (not black, not blank), no frame repeated
 * byte for byte (a still image replayed), and the picture really changing during the liveness action.
 * These checks can only refuse — whether it is the right, living person is for the FaceVerifier.
 */
import { createHash } from 'node:crypto';
import { QtError } from '@qoltanba/pki';
import type { ResolvedRemoteOptions } from '../options.ts';
import type { FaceMeasurements } from '../tables.ts';
import { lumaStats, motionBetween, type Luma } from './luma.ts';
import { decodePngLuma } from './png.ts';
import type { CapturedFrame } from './verifier.ts';

export interface CheckedCapture {
  face: CapturedFrame[];
  liveness: CapturedFrame[];
  measurements: FaceMeasurements;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
export const FACE_FRAMES = { min: 2, max: 5 };
export const LIVENESS_FRAMES = { min: 2, max: 6 };

function unusable(why: string, message: string, details: Record<string, unknown> = {}): QtError {
  return new QtError('QT_ERR_FACE_CAPTURE_INVALID', message, { why, ...details });
}

function frames(value: unknown, field: 'face' | 'liveness', limits: { min: number; max: number }, o: ResolvedRemoteOptions): Buffer[] {
  if (!Array.isArray(value) || value.length < limits.min || value.length > limits.max) {
    throw unusable('frame-count', `${field} must be ${limits.min} to ${limits.max} frames`, { field });
  }
  return value.map((v, i) => {
    if (typeof v !== 'string' || !BASE64.test(v)) throw new QtError('QT_ERR_IMAGE_INVALID', `${field}[${i}] is not base64 image data`, { field, index: i });
    if (v.length > Math.ceil(o.frameBytes / 3) * 4) {
      throw new QtError('QT_ERR_TOO_LARGE', `${field}[${i}] is larger than ${o.frameBytes} bytes`, { field, index: i, maxBytes: o.frameBytes });
    }
    return Buffer.from(v, 'base64');
  });
}

export function checkCapture(body: { face: unknown; liveness: unknown }, o: ResolvedRemoteOptions): CheckedCapture {
  const face = frames(body.face, 'face', FACE_FRAMES, o);
  const liveness = frames(body.liveness, 'liveness', LIVENESS_FRAMES, o);
  const all = [...face, ...liveness];
  const limits = { maxWidth: o.frameMaxWidth, maxHeight: o.frameMaxHeight };
  const decoded: Luma[] = all.map((b) => decodePngLuma(b, limits));
  const { width, height } = decoded[0]!;
  if (width < 160 || height < 120) throw unusable('too-small', `Frames of ${width}×${height} pixels are too small to see a face (at least 160×120)`);
  if (decoded.some((d) => d.width !== width || d.height !== height)) throw unusable('sizes', 'The frames are not all of one size');
  const seen = new Set<string>();
  for (const b of all) {
    const h = createHash('sha256').update(b).digest('hex');
    if (seen.has(h)) throw unusable('identical', 'Two frames are identical: the camera picture did not change at all');
    seen.add(h);
  }
  const stats = decoded.map(lumaStats);
  const badLight = stats.findIndex((s) => s.mean < 25 || s.mean > 235 || s.stddev < 8);
  if (badLight >= 0) throw unusable('exposure', 'A frame is too dark, too bright or blank', { index: badLight });
  const first = decoded[0]!;
  const motion = Math.max(...decoded.slice(face.length).map((l) => motionBetween(first, l)));
  if (motion < o.minMotion) throw unusable('no-movement', 'The picture hardly changed during the head turn', { motion: round(motion), minMotion: o.minMotion });
  const frame = (role: 'face' | 'liveness') => (data: Buffer): CapturedFrame => ({ role, mediaType: 'image/png', data });
  return {
    face: face.map(frame('face')),
    liveness: liveness.map(frame('liveness')),
    measurements: { width, height, brightness: stats.map((s) => round(s.mean)), motion: round(motion) },
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
