// @ts-check
/**
 * Remote issuance, the face step: the webcam (getUserMedia) films the person looking at the camera, the
 * server names a liveness action (turn the head left or right), the page films that too and uploads the
 * frames as PNG. The server checks the frames itself and hands them to the face check; the waiting page
 * polls the application's step and reloads when someone has decided.
 */
import { busy, clearProblem, explainFailure, pageData, postJson, setStatus, showProblem } from './ui.js';

const data = pageData();
const texts = data.texts;
const FRAME_W = 320;
const FRAME_H = 240;
const FACE_FRAMES = 3;
const LIVENESS_FRAMES = 4;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** @param {HTMLVideoElement} video @returns {Promise<string>} base64 PNG of the current picture */
async function grab(video) {
  const canvas = document.createElement('canvas');
  canvas.width = FRAME_W;
  canvas.height = FRAME_H;
  const g = canvas.getContext('2d');
  if (!g) throw new Error('no canvas');
  g.drawImage(video, 0, 0, FRAME_W, FRAME_H);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the picture could not be encoded');
  const bytes = new Uint8Array(await /** @type {Blob} */ (blob).arrayBuffer());
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function cameraProblem(e) {
  const name = e?.name ?? '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return { what: texts.cameraDenied };
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return { what: texts.noCamera };
  return null;
}

function setupCapture() {
  const video = /** @type {HTMLVideoElement} */ (document.getElementById('preview'));
  const on = /** @type {HTMLButtonElement} */ (document.getElementById('camera-on'));
  const capture = /** @type {HTMLButtonElement} */ (document.getElementById('capture'));
  const instruction = /** @type {HTMLElement} */ (document.getElementById('instruction'));
  /** @type {MediaStream | undefined} */
  let stream;
  const stop = () => stream?.getTracks().forEach((tr) => tr.stop());

  on.addEventListener('click', async () => {
    clearProblem();
    if (!navigator.mediaDevices?.getUserMedia) {
      showProblem({ what: texts.unsupported }, texts);
      return;
    }
    busy(on, true);
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' }, audio: false });
      video.srcObject = stream;
      video.hidden = false;
      await video.play().catch(() => undefined);
      on.hidden = true;
      capture.hidden = false;
      capture.focus();
    } catch (e) {
      showProblem(cameraProblem(e) ?? explainFailure(e, texts), texts);
    } finally {
      busy(on, false);
    }
  });

  capture.addEventListener('click', async () => {
    clearProblem();
    busy(capture, true);
    try {
      const started = await postJson(`${data.base}/face/start`, {});
      instruction.textContent = texts.lookStraight;
      await sleep(700);
      const face = [];
      for (let i = 0; i < FACE_FRAMES; i++) {
        face.push(await grab(video));
        await sleep(250);
      }
      instruction.textContent = started.instruction;
      await sleep(600);
      const liveness = [];
      for (let i = 0; i < LIVENESS_FRAMES; i++) {
        liveness.push(await grab(video));
        await sleep(350);
      }
      instruction.textContent = '';
      stop();
      setStatus(texts.uploading);
      const done = await postJson(`${data.base}/face`, { captureId: started.captureId, face, liveness });
      window.location.assign(done.redirect);
    } catch (e) {
      instruction.textContent = '';
      showProblem(cameraProblem(e) ?? explainFailure(e, texts), texts);
      busy(capture, false);
    }
  });
}

/** The waiting page: ask the server for the step every few seconds; reload when it moves on. */
function setupWaiting() {
  const poll = async () => {
    try {
      const res = await fetch(`${data.base}/status`, { credentials: 'same-origin', headers: { accept: 'application/json' } });
      if (res.ok) {
        const s = await res.json();
        if (s.step !== 'waiting') {
          window.location.reload();
          return;
        }
      }
    } catch {
      /* offline for a moment: try again */
    }
    setTimeout(poll, 2000);
  };
  setTimeout(poll, 2000);
}

if (data.step === 'face') setupCapture();
else if (data.step === 'waiting') setupWaiting();
