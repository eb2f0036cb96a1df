// @ts-check
/** What every portal script shares: page data, the CSRF token, JSON calls, and status/problem messages. */
import { AgentCancelled, AgentUnavailable } from './agent.js';

export function pageData() {
  const el = document.getElementById('page-data');
  return el ? JSON.parse(el.textContent || '{}') : {};
}

function csrfToken() {
  const meta = /** @type {HTMLMetaElement | null} */ (document.querySelector('meta[name="csrf-token"]'));
  return meta ? meta.content : '';
}

/** A refusal from the portal: the server's own what/todo sentences, in the page's language. */
export class PortalError extends Error {
  constructor(error) {
    super(error?.what ?? 'error');
    this.error = error;
  }
}

export async function postJson(url, body) {
  let response;
  try {
    response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken() },
      body: JSON.stringify(body ?? {}),
    });
  } catch {
    throw new PortalError({ what: navigator.onLine ? 'The portal cannot be reached.' : 'You are offline.', todo: '', code: 'QT_ERR_STORE_UNAVAILABLE' });
  }
  const json = await response.json().catch(() => ({}));
  if (!response.ok) throw new PortalError(json.error ?? { what: `HTTP ${response.status}`, todo: '', code: 'QT_ERR_INTERNAL' });
  return json;
}

export function setStatus(text) {
  const el = document.getElementById('status');
  if (el) el.textContent = text || '';
}

export function clearProblem() {
  const el = document.getElementById('problem');
  if (el) {
    el.replaceChildren();
    el.removeAttribute('role');
    el.className = '';
  }
}

/**
 * Shows what happened and what to do. Built with textContent only: nothing from the agent or the server
 * is ever parsed as HTML.
 */
export function showProblem(p, texts) {
  const el = document.getElementById('problem');
  if (!el) return;
  el.replaceChildren();
  el.className = 'problem';
  el.setAttribute('role', 'alert');
  const add = (tag, text, cls) => {
    const node = document.createElement(tag);
    node.textContent = text;
    if (cls) node.className = cls;
    el.appendChild(node);
    return node;
  };
  if (p.title) add('p', p.title, 'what');
  add('p', p.what, p.title ? '' : 'what');
  if (p.todo) {
    const todo = add('p', '');
    const strong = document.createElement('strong');
    strong.textContent = `${texts.whatToDo}: `;
    todo.append(strong, p.todo);
  }
  const link = (href, text) => {
    const para = add('p', '');
    const a = document.createElement('a');
    a.href = href;
    a.textContent = text;
    para.appendChild(a);
  };
  if (p.remote) link('/help/remote', texts.remote);
  if (p.help) link('/help/agent', texts.missingHelp);
  if (p.code) add('p', `${texts.errorCode}: ${p.code}`, 'code');
  setStatus('');
  el.focus();
}

/** Any failure of a step, as the person should read it. */
export function explainFailure(e, texts) {
  if (e instanceof PortalError) return e.error;
  if (e instanceof AgentUnavailable) return { title: texts.missingTitle, what: texts.missingText, help: true };
  if (e instanceof AgentCancelled) return { what: texts.cancelled };
  const details = e?.details ?? '';
  if (String(details).includes('QT_ERR_AGENT_PASSWORD_ATTEMPTS')) return { what: texts.passwordAttempts };
  if (String(details).includes('QT_ERR_AGENT_CONSENT_EXPIRED')) return { what: texts.timeout };
  if (e?.code === 'MODULE_NOT_FOUND') return { what: texts.noKeysModule, help: true };
  return { what: String(texts.failed).replace('{message}', e?.message ?? String(e)) };
}

/** Disables a button while its step runs (and says so to screen readers). */
export function busy(button, on) {
  button.disabled = on;
  button.setAttribute('aria-busy', on ? 'true' : 'false');
}
