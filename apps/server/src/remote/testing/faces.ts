/**
 * TEST SUPPORT ONLY: synthetic faces for the remote-issuance tests — the test people, the frames the capture
 * page uploads, and a Y4M video for Chromium's fake camera (--use-file-for-fake-video-capture), so the browser
 * test films a face that moves on request. Drawing and PNG encoding live in ../../demo/faces.ts (the demo's
 * registry photos use them too).
 */
import { clamp, drawFace, encodePng, type FaceParams } from '../../demo/faces.ts';

export { drawFace, encodePng, type FaceParams, type Rgb } from '../../demo/faces.ts';

export const PEOPLE = {
  aigerim: { background: [70, 110, 150], skin: [224, 182, 150], hair: [40, 28, 20], faceW: 0.24, faceH: 0.32, eyeGap: 0.42, glasses: false },
  other: { background: [200, 200, 180], skin: [150, 105, 80], hair: [200, 190, 170], faceW: 0.33, faceH: 0.28, eyeGap: 0.6, glasses: true },
} satisfies Record<string, FaceParams>;

/**
 * A Y4M (YUV 4:2:0) video of the person turning their head left and right (period `periodFrames`), for
 * Chromium's fake camera, which loops it.
 */
export function faceVideoY4m(p: FaceParams, o: { width?: number; height?: number; frames?: number; fps?: number; amplitude?: number; periodFrames?: number } = {}): Buffer {
  const width = o.width ?? 320;
  const height = o.height ?? 240;
  const frames = o.frames ?? 40;
  const amplitude = o.amplitude ?? 40;
  const period = o.periodFrames ?? frames;
  const parts: Buffer[] = [Buffer.from(`YUV4MPEG2 W${width} H${height} F${o.fps ?? 10}:1 Ip A1:1 C420jpeg\n`, 'latin1')];
  for (let f = 0; f < frames; f++) {
    const img = drawFace(p, { width, height, turn: Math.round(amplitude * Math.sin((2 * Math.PI * f) / period)), seed: f + 1 });
    const y = Buffer.alloc(width * height);
    const u = Buffer.alloc((width / 2) * (height / 2));
    const v = Buffer.alloc((width / 2) * (height / 2));
    for (let j = 0; j < height; j++) {
      for (let i = 0; i < width; i++) {
        const k = (j * width + i) * 3;
        const [r, g, b] = [img.data[k]!, img.data[k + 1]!, img.data[k + 2]!];
        y[j * width + i] = clamp(Math.round(0.299 * r + 0.587 * g + 0.114 * b));
      }
    }
    for (let j = 0; j < height / 2; j++) {
      for (let i = 0; i < width / 2; i++) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
          const k = ((j * 2 + dy) * width + i * 2 + dx) * 3;
          r += img.data[k]!;
          g += img.data[k + 1]!;
          b += img.data[k + 2]!;
        }
        r /= 4;
        g /= 4;
        b /= 4;
        u[j * (width / 2) + i] = clamp(Math.round(-0.169 * r - 0.331 * g + 0.5 * b + 128));
        v[j * (width / 2) + i] = clamp(Math.round(0.5 * r - 0.419 * g - 0.081 * b + 128));
      }
    }
    parts.push(Buffer.from('FRAME\n', 'latin1'), y, u, v);
  }
  return Buffer.concat(parts);
}

/** What the capture page uploads: face frames looking at the camera, then frames while turning. */
export function captureFrames(p: FaceParams, o: { turn?: number; seed?: number } = {}): { face: string[]; liveness: string[] } {
  const seed = o.seed ?? 1;
  const turn = o.turn ?? -35;
  const png = (t: number, s: number) => encodePng(drawFace(p, { turn: t, seed: s })).toString('base64');
  return {
    face: [png(0, seed), png(1, seed + 1), png(-1, seed + 2)],
    liveness: [png(turn / 3, seed + 3), png((turn * 2) / 3, seed + 4), png(turn, seed + 5)],
  };
}
