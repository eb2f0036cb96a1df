/**
 * What the server measures on the decoded face frames (png.ts): how bright each frame is and how much the
 * picture moved between two frames. capture.ts turns these numbers into its refusals (too dark, blank, no
 * head turn); nothing here knows about PNG.
 */

export interface Luma {
  width: number;
  height: number;
  /** One brightness byte per pixel (BT.601 weights). */
  data: Uint8Array;
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
