/**
 * Synthetic faces: a "person" is a set of drawing parameters (face shape, skin, hair, eyes); the same
 * person drawn turned by `turn` pixels is what a camera would see when they turn their head. The demo
 * (`qoltanba up --demo`) draws its made-up people's registry photos with it, and the tests draw the frames
 * and the fake-camera video from it (remote/testing/faces.ts). Hand-written: a few dozen lines of PNG
 * encoding (zlib does the compression) instead of an image library for flat-coloured ellipses.
 */
import { deflateSync } from 'node:zlib';

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

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([len, typed, crc]);
}

/** A plain RGB PNG (filter type `filter` on every row: 0 none, 1 sub, 2 up — the decoder must handle each). */
export function encodePng(img: Rgb, filter: 0 | 1 | 2 = 0): Buffer {
  const stride = img.width * 3;
  const raw = Buffer.alloc((stride + 1) * img.height);
  for (let y = 0; y < img.height; y++) {
    raw[y * (stride + 1)] = filter;
    for (let i = 0; i < stride; i++) {
      const v = img.data[y * stride + i]!;
      const left = i >= 3 ? img.data[y * stride + i - 3]! : 0;
      const up = y > 0 ? img.data[(y - 1) * stride + i]! : 0;
      raw[y * (stride + 1) + 1 + i] = (v - (filter === 1 ? left : filter === 2 ? up : 0)) & 0xff;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(img.width, 0);
  ihdr.writeUInt32BE(img.height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

