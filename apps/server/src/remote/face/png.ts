/**
 * Decoding the PNG frames the capture page uploads (canvas.toBlob('image/png')) to their brightness, so
 * the server can check for itself what the browser claims — that these are camera frames of one scene,
 * lit, and moving during the liveness action — instead of trusting the page. PNG because browsers write it
 * losslessly from a canvas and a small pure-JS decoder reads it; a JPEG decoder would be a bigger
 * dependency for the same purpose.
 *
 * Accepted: 8-bit greyscale, RGB or RGBA, not interlaced (what browsers write). The pixels are decoded by
 * fast-png (row filters, CRCs, colour types). What no decoder we looked at does is the reason for the code
 * before it: refusing, before anything is inflated into memory, a file that would decompress into more
 * than its stated size. fast-png inflates without a bound (measured: a 500 KB upload of a 320×240 header
 * with a zlib bomb took 1.5 GB and 6 s), also inside an iCCP profile; pngjs bounds its sync inflate but
 * pads a short stream with uninitialised memory and its async parser crashes the process on one. So this
 * file reads the header and the chunk framing itself, refuses sizes over the limits from the header,
 * proves with node:zlib (maxOutputLength) that the image data inflates to exactly the size the header
 * states, and only then gives fast-png a copy that holds nothing but IHDR, IDAT and IEND.
 */
import { inflateSync } from 'node:zlib';
import { decode } from 'fast-png';
import { QtError } from '@qoltanba/pki';
import type { Luma } from './luma.ts';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 6: 4 };

function bad(why: string): QtError {
  return new QtError('QT_ERR_IMAGE_INVALID', `The frame is not a usable PNG image: ${why}`, { why });
}

interface Framed {
  width: number;
  height: number;
  channels: number;
  /** Signature, IHDR, every IDAT and IEND, as they stand in the file (lengths and CRCs included). */
  essential: Buffer[];
  idat: Buffer[];
}

/** The header, checked against the limits, and the chunks the image needs — nothing is inflated here. */
function frame(bytes: Buffer, limits: { maxWidth: number; maxHeight: number }): Framed {
  if (bytes.length < 33 || !bytes.subarray(0, 8).equals(SIGNATURE)) throw bad('no PNG signature');
  let pos = 8;
  let header: Omit<Framed, 'essential' | 'idat'> | undefined;
  const essential: Buffer[] = [SIGNATURE];
  const idat: Buffer[] = [];
  while (pos + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(pos);
    const type = bytes.toString('latin1', pos + 4, pos + 8);
    const body = bytes.subarray(pos + 8, pos + 8 + length);
    if (body.length !== length || pos + 12 + length > bytes.length) throw bad(`the ${type} chunk is cut short`);
    const whole = bytes.subarray(pos, pos + 12 + length);
    pos += 12 + length;
    if (type === 'IHDR') {
      if (length !== 13) throw bad('the IHDR chunk has the wrong length');
      const width = body.readUInt32BE(0);
      const height = body.readUInt32BE(4);
      const depth = body[8]!;
      const colour = body[9]!;
      const channels = CHANNELS[colour] ?? 0;
      if (depth !== 8 || !channels) throw bad(`bit depth ${depth}, colour type ${colour} (8-bit grey, RGB or RGBA expected)`);
      if (body[12] !== 0) throw bad('interlaced');
      if (width < 1 || height < 1 || width > limits.maxWidth || height > limits.maxHeight) throw bad(`${width}×${height} pixels (at most ${limits.maxWidth}×${limits.maxHeight})`);
      header = { width, height, channels };
      essential.push(whole);
    } else if (type === 'IDAT') {
      if (!header) throw bad('image data before the header');
      idat.push(body);
      essential.push(whole);
    } else if (type === 'IEND') {
      if (header && idat.length) return { ...header, essential: [...essential, whole], idat };
      break;
    }
  }
  throw bad('missing header, data or end chunk');
}

export function decodePngLuma(bytes: Buffer, limits: { maxWidth: number; maxHeight: number }): Luma {
  const { width, height, channels, essential, idat } = frame(bytes, limits);
  const expected = (width * channels + 1) * height; // a filter byte before every row
  let inflated: number;
  try {
    inflated = inflateSync(Buffer.concat(idat), { maxOutputLength: expected }).length;
  } catch {
    throw bad('the compressed data is damaged or larger than the image');
  }
  if (inflated !== expected) throw bad('the image data does not fill the image');
  let png: ReturnType<typeof decode>;
  try {
    png = decode(Buffer.concat(essential), { checkCrc: true });
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (png.width !== width || png.height !== height || png.channels !== channels || !(png.data instanceof Uint8Array)) {
    throw bad('the decoder read another image than the header states'); // cannot happen with the checks above; refuse rather than guess
  }
  return { width, height, data: toLuma(png.data, channels) };
}

/** One brightness byte per pixel: grey as it is, colour by BT.601 weights; alpha is ignored. */
function toLuma(pixels: Uint8Array, channels: number): Uint8Array {
  if (channels === 1) return pixels;
  const luma = new Uint8Array(pixels.length / channels);
  for (let i = 0, k = 0; i < luma.length; i++, k += channels) {
    luma[i] = (pixels[k]! * 299 + pixels[k + 1]! * 587 + pixels[k + 2]! * 114 + 500) / 1000;
  }
  return luma;
}
