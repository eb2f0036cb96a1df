/**
 * An external biometric service over HTTP (for instance the state's photo-matching service behind an
 * integration bus). One POST per check, JSON:
 *
 *   request  {checkId, iin, reference: {mediaType, data(base64)} | null,
 *             face: [base64 PNG…], liveness: {action: "turn-left"|"turn-right", frames: [base64 PNG…]}}
 *   response {match: boolean, liveness: boolean, score: number (0…1), reason?: string}
 *
 * Approved only if the service says match AND liveness AND its score reaches our own `minScore` (a
 * service that drifts to lenient scores does not drag our threshold with it). Anything else the service
 * says is a rejection with its reason. No answer, an error status or a malformed answer is no decision:
 * QT_ERR_FACE_SERVICE_UNAVAILABLE, and the attempt is not counted against the person.
 */
import { QtError } from '@qoltanba/pki';
import type { FaceCheckRequest, FaceVerdict, FaceVerifier } from './verifier.ts';

export interface HttpFaceVerifierOptions {
  url: string;
  /** Bearer token (from the environment; never from a config file). */
  token?: string | undefined;
  timeoutMs?: number;
  /** Least score counted as a match, 0…1 (default 0.8). */
  minScore?: number;
  fetch?: typeof fetch;
}

const REASON = /^[a-z][a-z0-9-]{0,39}$/;

export class HttpFaceVerifier implements FaceVerifier {
  readonly name: string;
  readonly #o: Required<Pick<HttpFaceVerifierOptions, 'url' | 'timeoutMs' | 'minScore'>> & HttpFaceVerifierOptions;

  constructor(options: HttpFaceVerifierOptions) {
    this.#o = { timeoutMs: 15_000, minScore: 0.8, ...options };
    this.name = `http:${new URL(options.url).host}`;
  }

  async check(r: FaceCheckRequest): Promise<FaceVerdict> {
    const body = JSON.stringify({
      checkId: r.checkId,
      iin: r.iin,
      reference: r.reference ? { mediaType: r.reference.mediaType, data: r.reference.data.toString('base64') } : null,
      face: r.face.map((f) => f.data.toString('base64')),
      liveness: { action: r.liveness.action, frames: r.liveness.frames.map((f) => f.data.toString('base64')) },
    });
    let answer: unknown;
    try {
      const res = await (this.#o.fetch ?? fetch)(this.#o.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.#o.token ? { authorization: `Bearer ${this.#o.token}` } : {}) },
        body,
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      answer = await res.json();
    } catch (e) {
      throw new QtError('QT_ERR_FACE_SERVICE_UNAVAILABLE', `The face check service did not decide: ${(e as Error).message}`, { verifier: this.name }, { cause: e });
    }
    const a = answer as { match?: unknown; liveness?: unknown; score?: unknown; reason?: unknown };
    if (typeof a !== 'object' || a === null || typeof a.match !== 'boolean' || typeof a.liveness !== 'boolean' || typeof a.score !== 'number' || !Number.isFinite(a.score)) {
      throw new QtError('QT_ERR_FACE_SERVICE_UNAVAILABLE', 'The face check service answered something other than {match, liveness, score}', { verifier: this.name });
    }
    const by = `service:${new URL(this.#o.url).host}`;
    const said = typeof a.reason === 'string' && REASON.test(a.reason) ? a.reason : undefined;
    if (!a.liveness) return { kind: 'decided', approved: false, by, reason: said ?? 'no-liveness', score: a.score };
    if (!a.match) return { kind: 'decided', approved: false, by, reason: said ?? 'face-mismatch', score: a.score };
    if (a.score < this.#o.minScore) return { kind: 'decided', approved: false, by, reason: 'score-below-threshold', score: a.score };
    return { kind: 'decided', approved: true, by, reason: 'match', score: a.score };
  }
}
