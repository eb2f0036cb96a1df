/**
 * What an image file is, from its own bytes: JPEG or PNG and its size in pixels, or QT_ERR_IMAGE_INVALID.
 * The registry's reference photos are checked with it on import (a photo an operator cannot open is no
 * reference); the face frames a browser uploads are decoded fully in remote/face/png.ts.
 */
import { QtError } from '@qoltanba/pki';
import type { PhotoType } from './tables.ts';

export interface ImageInfo {
  mediaType: PhotoType;
  width: number;
  height: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function bad(why: string): QtError {
  return new QtError('QT_ERR_IMAGE_INVALID', `The image is not usable: ${why}`, { why });
}

export function sniffImage(bytes: Uint8Array): ImageInfo {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 24 && b.subarray(0, 8).equals(PNG_SIGNATURE)) {
    if (b.toString('latin1', 12, 16) !== 'IHDR') throw bad('a PNG file must begin with its IHDR chunk');
    return checked({ mediaType: 'image/png', width: b.readUInt32BE(16), height: b.readUInt32BE(20) });
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return checked(jpegSize(b));
  throw bad('neither JPEG nor PNG');
}

function checked(info: ImageInfo): ImageInfo {
  if (info.width < 16 || info.height < 16 || info.width > 8000 || info.height > 8000) throw bad(`${info.width}×${info.height} pixels is not a photo size`);
  return info;
}

/** Walks the JPEG markers to the frame header (SOFn), which holds the size. */
function jpegSize(b: Buffer): ImageInfo {
  if (b[b.length - 2] !== 0xff || b[b.length - 1] !== 0xd9) throw bad('the JPEG file is cut short (no end-of-image marker)');
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) throw bad('the JPEG markers are damaged');
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    const length = b.readUInt16BE(i + 2);
    // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 9 > b.length) break;
      return { mediaType: 'image/jpeg', height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    }
    if (marker === 0xda) break; // start of scan before any frame header
    i += 2 + length;
  }
  throw bad('the JPEG file has no frame header');
}
