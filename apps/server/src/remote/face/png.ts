/**
 * Decoding the PNG frames the capture page uploads (canvas.toBlob('image/png')) to their brightness, so
 * the server can check for itself what the browser claims — that these are camera frames of one scene,
 * lit, and moving during the liveness action — instead of trusting the page. PNG because it decodes with
 * node:zlib alone; a JPEG decoder would be a dependency for the same purpose.
 *
 * Accepted: 8-bit greyscale, RGB or RGBA, not interlaced (what browsers write). The inflated size is
 * bounded before inflating (maxOutputLength), so a small file cannot expand into gigabytes.
 */
import { inflateSync } from 'node:zlib';
import { QtError } from '@qoltanba/pki';

export interface Luma {
  width: number;
  height: number;
  /** One brightness byte per pixel (BT.601 weights). */
  data: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 6: 4 };

function bad(why: string): QtError {
  return new QtError('QT_ERR_IMAGE_INVALID', `The frame is not a usable PNG image: ${why}`, { why });
}

export function decodePngLuma(bytes: Buffer, limits: { maxWidth: number; maxHeight: number }): Luma {
  if (bytes.length < 33 || !bytes.subarray(0, 8).equals(SIGNATURE)) throw bad('no PNG signature');
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  let ended = false;
  while (pos + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(pos);
    const type = bytes.toString('latin1', pos + 4, pos + 8);
    const body = bytes.subarray(pos + 8, pos + 8 + length);
    if (body.length !== length) throw bad(`the ${type} chunk is cut short`);
    pos += 12 + length;
    if (type === 'IHDR') {
      if (length !== 13) throw bad('the IHDR chunk has the wrong length');
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const depth = body[8]!;
      const colour = body[9]!;
      const interlace = body[12]!;
      channels = CHANNELS[colour] ?? 0;
      if (depth !== 8 || !channels) throw bad(`bit depth ${depth}, colour type ${colour} (8-bit grey, RGB or RGBA expected)`);
      if (interlace !== 0) throw bad('interlaced');
      if (width < 1 || height < 1 || width > limits.maxWidth || height > limits.maxHeight) throw bad(`${width}×${height} pixels (at most ${limits.maxWidth}×${limits.maxHeight})`);
    } else if (type === 'IDAT') {
      if (!channels) throw bad('image data before the header');
      idat.push(body);
    } else if (type === 'IEND') {
      ended = true;
      break;
    }
  }
  if (!channels || idat.length === 0 || !ended) throw bad('missing header, data or end chunk');
  const stride = width * channels;
  const expected = (stride + 1) * height;
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat), { maxOutputLength: expected });
  } catch {
    throw bad('the compressed data is damaged or larger than the image');
  }
  if (raw.length !== expected) throw bad('the image data does not fill the image');
  return { width, height, data: unfilter(raw, width, height, channels) };
}

/** Undoes the per-row filters (PNG spec §9) and keeps the brightness only. */
function unfilter(raw: Buffer, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp;
  let prev = new Uint8Array(stride);
  let cur = new Uint8Array(stride);
  const luma = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const row = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? cur[i - bpp]! : 0;
      const b = prev[i]!;
      const c = i >= bpp ? prev[i - bpp]! : 0;
      let v = row[i]!;
      switch (filter) {
        case 0:
          break;
        case 1:
          v += a;
          break;
        case 2:
          v += b;
          break;
        case 3:
          v += (a + b) >> 1;
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          throw bad(`unknown row filter ${filter}`);
      }
      cur[i] = v & 0xff;
    }
    for (let x = 0; x < width; x++) {
      const k = x * bpp;
      luma[y * width + x] = bpp < 3 ? cur[k]! : (cur[k]! * 299 + cur[k + 1]! * 587 + cur[k + 2]! * 114 + 500) / 1000;
    }
    [prev, cur] = [cur, prev];
  }
  return luma;
}

export interface LumaStats {
  mean: number;
  stddev: number;
}

export function lumaStats(l: Luma): LumaStats {
  let sum = 0;
  let sq = 0;
  for (const v of l.data) {
    sum += v;
    sq += v * v;
  }
  const n = l.data.length;
  const mean = sum / n;
  return { mean, stddev: Math.sqrt(Math.max(0, sq / n - mean * mean)) };
}

/**
 * How much the picture changed between two frames of the same size: the mean absolute difference (0–255)
 * of their 8×8-pixel block averages. Averaging first removes sensor noise (a still scene filmed twice
 * differs by well under 1), so what remains is movement — a head turning shifts whole blocks.
 */
export function motionBetween(a: Luma, b: Luma, block = 8): number {
  const ma = blockMeans(a, block);
  const mb = blockMeans(b, block);
  let d = 0;
  for (let i = 0; i < ma.length; i++) d += Math.abs(ma[i]! - mb[i]!);
  return ma.length ? d / ma.length : 0;
}

function blockMeans(l: Luma, block: number): Float64Array {
  const bw = Math.floor(l.width / block);
  const bh = Math.floor(l.height / block);
  const out = new Float64Array(bw * bh);
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      let sum = 0;
      for (let y = by * block; y < (by + 1) * block; y++) for (let x = bx * block; x < (bx + 1) * block; x++) sum += l.data[y * l.width + x]!;
      out[by * bw + bx] = sum / (block * block);
    }
  }
  return out;
}
