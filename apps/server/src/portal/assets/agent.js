// @ts-check
/**
 * A small client for the local signing agent (NCALayer's WebSocket protocol, plus Qoltanba's
 * kz.qoltanba.keys module). One connection per operation: connect, read the greeting, send the frames in
 * order, read one reply per frame. ncalayer-js-client does not know kz.qoltanba.keys, hence this file.
 */

/** The agent is not running (or refused this site). */
export class AgentUnavailable extends Error {}
/** The person pressed Cancel in the agent's window. */
export class AgentCancelled extends Error {}
/** The agent answered with an error; `details` carries its stable QT_ERR_… code when it has one. */
export class AgentError extends Error {
  /** @param {string} message @param {string | undefined} code @param {string | undefined} details */
  constructor(message, code, details) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

const CONNECT_TIMEOUT_MS = 4000;
/** The agent's own consent window times out after 5 minutes; wait a little longer than that. */
const REPLY_TIMEOUT_MS = 6 * 60 * 1000;

/**
 * Sends the frames over one connection and resolves with the replies, in order.
 * @param {string} url
 * @param {object[]} frames
 * @returns {Promise<any[]>}
 */
export function exchange(url, frames) {
  return new Promise((resolve, reject) => {
    /** @type {WebSocket} */
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      reject(new AgentUnavailable('the agent address cannot be opened'));
      return;
    }
    const replies = [];
    let greeted = false;
    let settled = false;
    const finish = (/** @type {() => void} */ fn) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        ws.close();
      } catch {
        /* already closed */
      }
      fn();
    };
    let timer = setTimeout(() => finish(() => reject(new AgentUnavailable('the agent did not answer'))), CONNECT_TIMEOUT_MS);
    ws.onerror = () => finish(() => reject(new AgentUnavailable('the connection to the agent failed')));
    ws.onclose = () => finish(() => reject(greeted ? new AgentError('the agent closed the connection', undefined, undefined) : new AgentUnavailable('the agent refused the connection')));
    ws.onmessage = (event) => {
      const text = String(event.data);
      if (text === '--heartbeat--') return;
      let message;
      try {
        message = JSON.parse(text);
      } catch {
        finish(() => reject(new AgentError('the agent sent something unreadable', undefined, undefined)));
        return;
      }
      if (!greeted) {
        if (!message?.result?.version) {
          // A refused origin gets an error object instead of the greeting.
          finish(() => reject(new AgentUnavailable(message?.message ?? 'the agent refused this site')));
          return;
        }
        greeted = true;
        clearTimeout(timer);
        timer = setTimeout(() => finish(() => reject(new AgentError('no answer from the agent', undefined, 'QT_ERR_AGENT_CONSENT_EXPIRED'))), REPLY_TIMEOUT_MS);
        for (const f of frames) ws.send(JSON.stringify(f));
        return;
      }
      replies.push(message);
      if (replies.length === frames.length) finish(() => resolve(replies));
    };
  });
}

/** A commonUtils reply → its responseObject, or the matching error. */
export function commonResult(reply) {
  if (reply?.code === '200') return reply.responseObject;
  if (reply?.message === 'action.canceled') throw new AgentCancelled('cancelled');
  throw new AgentError(reply?.message ?? 'agent error', reply?.errorCode ?? reply?.code, reply?.details);
}

/** A basics-family reply (basics.sign, kz.qoltanba.keys) → its result, or the matching error. */
export function basicsResult(reply) {
  if (reply?.status === true) {
    if (!reply.body || !('result' in reply.body)) throw new AgentCancelled('cancelled');
    return reply.body.result;
  }
  throw new AgentError(reply?.message ?? 'agent error', reply?.code ?? reply?.errorCode, reply?.details);
}

/** The certificate of a key the person picks (and unlocks) in the agent's window. */
export async function getKeyInfo(url, locale, storage = 'PKCS12') {
  const [, info] = await exchange(url, [
    { module: 'kz.gov.pki.knca.commonUtils', method: 'changeLocale', args: [locale] },
    { module: 'kz.gov.pki.knca.commonUtils', method: 'getKeyInfo', args: [storage] },
  ]);
  return commonResult(info);
}

/** CMS (PEM) over the UTF-8 text, content attached, by a key meeting `signerParams`. */
export async function signText(url, locale, text, signerParams) {
  const [reply] = await exchange(url, [
    {
      module: 'kz.gov.pki.knca.basics',
      method: 'sign',
      args: { allowedStorages: null, format: 'cms', data: text, signingParams: { decode: false, encapsulate: true, digested: false }, signerParams, locale },
    },
  ]);
  return basicsResult(reply);
}

export async function keysCall(url, locale, method, args) {
  const [, reply] = await exchange(url, [
    { module: 'kz.gov.pki.knca.commonUtils', method: 'changeLocale', args: [locale] },
    { module: 'kz.qoltanba.keys', method, args },
  ]);
  return basicsResult(reply);
}

export async function activeTokens(url) {
  const [reply] = await exchange(url, [{ module: 'kz.gov.pki.knca.commonUtils', method: 'getActiveTokens', args: [] }]);
  return commonResult(reply);
}
