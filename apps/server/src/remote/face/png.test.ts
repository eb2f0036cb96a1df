import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import { encode } from 'fast-png';
import { isQtError } from '@qoltanba/pki';
import { drawFace, encodePng } from '../../demo/faces.ts';
import { PEOPLE } from '../testing/faces.ts';
import { lumaStats, motionBetween } from './luma.ts';
import { decodePngLuma } from './png.ts';

const LIMITS = { maxWidth: 1280, maxHeight: 960 };
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, body: Buffer): Buffer {
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), body]);
  const out = Buffer.alloc(body.length + 12);
  out.writeUInt32BE(body.length, 0);
  typed.copy(out, 4);
  out.writeUInt32BE(crc32(typed), 8 + body.length);
  return out;
}

function header(width: number, height: number, o: { depth?: number; colour?: number; interlace?: number } = {}): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = o.depth ?? 8;
  ihdr[9] = o.colour ?? 2;
  ihdr[12] = o.interlace ?? 0;
  return chunk('IHDR', ihdr);
}

/** A PNG whose compressed image data is `idat` as given, whatever the header says. */
function png(head: Buffer, idat: Buffer, ...extra: Buffer[]): Buffer {
  return Buffer.concat([SIGNATURE, head, ...extra, chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

function refusedFor(bytes: Buffer): string {
  try {
    decodePngLuma(bytes, LIMITS);
  } catch (e) {
    assert.ok(isQtError(e, 'QT_ERR_IMAGE_INVALID'), String(e));
    return (e.details as { why: string }).why;
  }
  assert.fail('decoded');
}

/** Buffers allocated while `f` runs (ArrayBuffers are where an inflated image would live). */
function bufferGrowth(f: () => void): number {
  const before = process.memoryUsage().arrayBuffers;
  f();
  return process.memoryUsage().arrayBuffers - before;
}

describe('face frames: PNG decoding', () => {
  test('grey, RGB and RGBA frames decode to the brightness of every pixel (BT.601), whatever the row filters', () => {
    const width = 7;
    const height = 5;
    const rgb = Buffer.alloc(width * height * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 37 + (i >> 3) * 11) & 0xff;
    const expected = Uint8Array.from({ length: width * height }, (_, p) => (rgb[p * 3]! * 299 + rgb[p * 3 + 1]! * 587 + rgb[p * 3 + 2]! * 114 + 500) / 1000);

    // Rows filtered with each of PNG's five filters in turn (browsers choose per row, Paeth included).
    const stride = width * 3;
    const raw = Buffer.alloc((stride + 1) * height);
    for (let y = 0; y < height; y++) {
      const filter = y % 5;
      raw[y * (stride + 1)] = filter;
      for (let i = 0; i < stride; i++) {
        const at = (yy: number, ii: number) => (yy < 0 || ii < 0 ? 0 : rgb[yy * stride + ii]!);
        const [a, b, c] = [at(y, i - 3), at(y - 1, i), at(y - 1, i - 3)];
        const p = a + b - c;
        const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
        const predictor = [0, a, b, (a + b) >> 1, paeth][filter]!;
        raw[y * (stride + 1) + 1 + i] = (rgb[y * stride + i]! - predictor) & 0xff;
      }
    }
    assert.deepEqual(decodePngLuma(png(header(width, height), deflateSync(raw)), LIMITS), { width, height, data: expected });

    const rgba = Buffer.alloc(width * height * 4);
    for (let p = 0; p < width * height; p++) {
      rgb.copy(rgba, p * 4, p * 3, p * 3 + 3);
      rgba[p * 4 + 3] = p % 256;
    }
    const fromRgba = decodePngLuma(Buffer.from(encode({ width, height, data: rgba, channels: 4, depth: 8 })), LIMITS);
    assert.deepEqual(fromRgba.data, expected, 'alpha is ignored');
    const grey = decodePngLuma(Buffer.from(encode({ width, height, data: expected, channels: 1, depth: 8 })), LIMITS);
    assert.deepEqual(grey.data, expected);
  });

  test('a drawn face turning its head is lit and moves; the same face twice does not', () => {
    const still = decodePngLuma(encodePng(drawFace(PEOPLE.aigerim, { seed: 1 })), LIMITS);
    const again = decodePngLuma(encodePng(drawFace(PEOPLE.aigerim, { seed: 2 })), LIMITS);
    const turned = decodePngLuma(encodePng(drawFace(PEOPLE.aigerim, { seed: 3, turn: -35 })), LIMITS);
    const s = lumaStats(still);
    assert.ok(s.mean > 25 && s.mean < 235 && s.stddev > 8, JSON.stringify(s));
    assert.ok(motionBetween(still, again) < 1, 'sensor noise is not movement');
    assert.ok(motionBetween(still, turned) > 3, 'a head turn is');
  });

  test('a header stating more pixels than allowed is refused before its data is looked at', () => {
    // The image data is not even zlib: had anything been inflated, the error would say "damaged".
    assert.equal(refusedFor(png(header(40_000, 40_000), Buffer.from('not zlib at all'))), '40000×40000 pixels (at most 1280×960)');
    assert.equal(refusedFor(png(header(1281, 10), Buffer.from('x'))), '1281×10 pixels (at most 1280×960)');
    assert.equal(refusedFor(png(header(0, 10), Buffer.from('x'))), '0×10 pixels (at most 1280×960)');
  });

  test('a small file that would inflate to hundreds of megabytes is refused without inflating it', () => {
    const bomb = png(header(320, 240), deflateSync(Buffer.alloc(200 * 1024 * 1024), { level: 9 }));
    assert.ok(bomb.length < 256 * 1024, `${bomb.length} bytes`);
    let why = '';
    const grown = bufferGrowth(() => (why = refusedFor(bomb)));
    assert.equal(why, 'the compressed data is damaged or larger than the image');
    assert.ok(grown < 16 * 1024 * 1024, `${grown} bytes of buffers allocated while refusing`);
  });

  test('an ancillary chunk is never given to the decoder: a cut-off compressed bomb as ICC profile changes nothing', () => {
    const face = encodePng(drawFace(PEOPLE.aigerim, { seed: 4 }));
    const bomb = deflateSync(Buffer.alloc(100 * 1024 * 1024));
    // Inflating it would take ~50 MB and then fail on the cut: a decoder that saw this chunk would refuse the frame.
    const iccp = chunk('iCCP', Buffer.concat([Buffer.from('bomb\0\0', 'latin1'), bomb.subarray(0, bomb.length >> 1)]));
    const withProfile = Buffer.concat([face.subarray(0, 33), iccp, face.subarray(33)]); // after IHDR, as the spec places it
    assert.deepEqual(decodePngLuma(withProfile, LIMITS), decodePngLuma(face, LIMITS));
  });

  test('damaged, short, cut, interlaced, 16-bit and palette files are refused with QT_ERR_IMAGE_INVALID', () => {
    const face = encodePng(drawFace(PEOPLE.aigerim, { seed: 5 }));
    assert.equal(refusedFor(Buffer.from('\xff\xd8\xff\xe0 a JPEG', 'latin1')), 'no PNG signature');
    assert.equal(refusedFor(face.subarray(0, 500)), 'the IDAT chunk is cut short');
    assert.equal(refusedFor(png(header(320, 240), deflateSync(Buffer.alloc(100)))), 'the image data does not fill the image');
    assert.equal(refusedFor(png(header(320, 240), deflateSync(Buffer.alloc(321 * 3 * 240)))), 'the compressed data is damaged or larger than the image');
    assert.equal(refusedFor(png(header(320, 240, { interlace: 1 }), Buffer.alloc(1))), 'interlaced');
    assert.equal(refusedFor(png(header(320, 240, { depth: 16 }), Buffer.alloc(1))), 'bit depth 16, colour type 2 (8-bit grey, RGB or RGBA expected)');
    assert.equal(refusedFor(png(header(320, 240, { colour: 3 }), Buffer.alloc(1))), 'bit depth 8, colour type 3 (8-bit grey, RGB or RGBA expected)');
    const corrupted = Buffer.from(face);
    corrupted[corrupted.length - 13]! ^= 0x01; // the image data chunk's CRC (the last 12 bytes are IEND)
    assert.match(refusedFor(corrupted), /CRC mismatch/);
  });
});
