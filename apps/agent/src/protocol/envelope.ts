/**
 * The NCALayer wire format, written by hand: NCALayer's protocol is not published as a specification and no
 * library implements the server side, so the shapes below follow the 50 real exchanges recorded in
 * test/fixtures/ncalayer/captured-exchanges.json (and what the unmodified ncalayer-js-client accepts).
 *
 * One text frame carries one JSON request `{module, method, args}`; the literal `--heartbeat--` is echoed.
 * Two reply families exist side by side and a module always answers in its own family:
 *  - "common" (kz.gov.pki.knca.commonUtils, and anything we cannot attribute to a module):
 *    `{code:"200", responseObject}` / `{code:"500", message}`; a user cancel is `{code:"500", message:"action.canceled"}`.
 *  - "basics" (kz.gov.pki.knca.basics, and our kz.qoltanba.keys): `{status:true, body:{result}}`,
 *    cancel `{status:true, body:{}}`, error `{status:false, code, message, details}`.
 */

export const HEARTBEAT = '--heartbeat--';

/** What NCALayer 1.2–1.4 greets with; sites only check that `result.version` exists. */
export const INIT_MESSAGE = JSON.stringify({ result: { version: '1.4' } });

export type ReplyFamily = 'common' | 'basics';

export interface AgentRequest {
  module: string;
  method: string;
  /** Positional array for commonUtils, an object for basics; `undefined` when the frame had none. */
  args: unknown;
}

export type IncomingFrame =
  | { kind: 'heartbeat' }
  | { kind: 'request'; request: AgentRequest }
  | { kind: 'malformed'; reason: string };

/** Classifies one text frame. Never throws: bad input becomes a `malformed` frame that gets an error reply. */
export function parseFrame(text: string): IncomingFrame {
  if (text === HEARTBEAT) return { kind: 'heartbeat' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { kind: 'malformed', reason: `The request is not valid JSON (${(e as Error).message})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'malformed', reason: 'The request must be a JSON object' };
  }
  const { module, method, args } = value as Record<string, unknown>;
  if (typeof module !== 'string' || module === '') {
    return { kind: 'malformed', reason: 'The request has no "module" string' };
  }
  if (typeof method !== 'string' || method === '') {
    return { kind: 'malformed', reason: 'The request has no "method" string' };
  }
  return { kind: 'request', request: { module, method, args } };
}

export type CommonReply =
  | { code: '200'; responseObject?: unknown }
  | { code: '500'; message?: string; errorCode?: string; success?: false };

export type BasicsReply =
  | { status: true; body: { result?: unknown } }
  | { status: false; code: string; message: string; details: string };

export type AgentReply = CommonReply | BasicsReply;

export const reply = {
  commonOk(responseObject?: unknown): CommonReply {
    return responseObject === undefined ? { code: '200' } : { code: '200', responseObject };
  },
  commonError(message: string): CommonReply {
    return { code: '500', message };
  },
  /** The exact text NCALayer sends when the user closes its dialog. */
  commonCancelled(): CommonReply {
    return { code: '500', message: 'action.canceled' };
  },
  basicsOk(result: unknown): BasicsReply {
    return { status: true, body: { result } };
  },
  /** An empty body with status:true is how NCALayer (and ncalayer-js-client) says "cancelled by user". */
  basicsCancelled(): BasicsReply {
    return { status: true, body: {} };
  },
  basicsError(code: string, message: string, details: string): BasicsReply {
    return { status: false, code, message, details };
  },
};
