/**
 * Synthetic faces: a "person" is a set of drawing parameters (face shape, skin, hair, eyes); the same
 * person drawn turned by `turn` pixels is what a camera would see when they turn their head. The demo
 * (`qoltanba up --demo`) draws its made-up people's registry photos with it, and the tests draw the frames
 * and the fake-camera video from it (remote/testing/faces.ts). The drawing is hand-written (flat-coloured
 * ellipses need no graphics library); PNG encoding is fast-png's, the decoder the server reads frames with.
 */
import { encode } from 'fast-png';

export interface FaceParams {
  /** Background RGB. */
  background: [number, number, number];
  skin: [number, number, number];
  hair: [number, number, number];
  /** Half-width and half-height of the face ellipse as a share of the frame height. */
  faceW: number;
  faceH: number;
  /** Distance between the eyes as a share of the face width. */
  eyeGap: number;
  glasses: boolean;
}

export interface Rgb {
  width: number;
  height: number;
  /** width × height × 3 bytes. */
  data: Buffer;
}

/**
 * The person facing the camera, turned `turn` pixels (negative: to their right as seen), with a little
 * per-frame sensor noise from `seed` so no two frames are byte-identical — as with a real webcam.
 */
export function drawFace(p: FaceParams, o: { width?: number; height?: number; turn?: number; seed?: number } = {}): Rgb {
  const width = o.width ?? 320;
  const height = o.height ?? 240;
  const turn = o.turn ?? 0;
  const data = Buffer.alloc(width * height * 3);
  const cx = width / 2 + turn;
  const cy = height / 2 + height * 0.04;
  const rx = height * p.faceW;
  const ry = height * p.faceH;
  const eyeY = cy - ry * 0.15;
  // Turning moves the eyes and nose further than the outline: that is what the operator looks for.
  const eyeShift = turn * 0.35;
  const eyes = [cx + eyeShift - rx * p.eyeGap, cx + eyeShift + rx * p.eyeGap];
  let noise = (o.seed ?? 1) >>> 0 || 1;
  const rand = () => {
    noise ^= noise << 13;
    noise ^= noise >>> 17;
    noise ^= noise << 5;
    return ((noise >>> 0) % 7) - 3;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let c = p.background;
      const fx = (x - cx) / rx;
      const fy = (y - cy) / ry;
      const inFace = fx * fx + fy * fy < 1;
      const hx = (x - cx) / (rx * 1.12);
      const hy = (y - (cy - ry * 0.2)) / (ry * 1.05);
      if (hx * hx + hy * hy < 1 && (y < cy - ry * 0.55 || !inFace)) c = p.hair;
      else if (inFace) {
        c = p.skin;
        for (const ex of eyes) {
          const dx = (x - ex) / (rx * 0.16);
          const dy = (y - eyeY) / (ry * 0.08);
          if (dx * dx + dy * dy < 1) c = [30, 30, 40];
          else if (p.glasses && dx * dx + dy * dy < 2.4 && dx * dx + dy * dy > 1.8) c = [20, 20, 20];
        }
        const my = (y - (cy + ry * 0.5)) / (ry * 0.06);
        const mx = (x - (cx + eyeShift * 0.8)) / (rx * 0.35);
        if (mx * mx + my * my < 1) c = [150, 60, 60];
        const nx = (x - (cx + eyeShift * 1.1)) / (rx * 0.07);
        const ny = (y - (cy + ry * 0.15)) / (ry * 0.18);
        if (nx * nx + ny * ny < 1) c = [Math.max(0, p.skin[0] - 40), Math.max(0, p.skin[1] - 40), Math.max(0, p.skin[2] - 40)];
      }
      const i = (y * width + x) * 3;
      const n = rand();
      data[i] = clamp(c[0] + n);
      data[i + 1] = clamp(c[1] + n);
      data[i + 2] = clamp(c[2] + n);
    }
  }
  return { width, height, data };
}

export function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** A plain RGB PNG (fast-png's encoder: 8-bit, no row filter, zlib). */
export function encodePng(img: Rgb): Buffer {
  const png = encode({ width: img.width, height: img.height, data: img.data, channels: 3, depth: 8 });
  return Buffer.from(png.buffer, png.byteOffset, png.byteLength);
}

