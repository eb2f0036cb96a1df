// @ts-check
/**
 * The re-issuance application's agent steps: sign the application; create keys and get certificates;
 * «Загрузить сертификаты». After each step the page reloads from the server, which knows the next step
 * (so a reload or a lost connection at any point resumes where the application stands).
 */
import { activeTokens, keysCall, signText } from './agent.js';
import { AgentError } from './agent.js';
import { busy, clearProblem, explainFailure, pageData, postJson, setStatus, showProblem } from './ui.js';

const data = pageData();
const texts = data.texts;
// Remote issuance runs the same key steps under its own address (/remote/applications/:id).
const base = data.base ?? `/applications/${data.applicationId}`;

function step(id, run) {
  const button = /** @type {HTMLButtonElement | null} */ (document.getElementById(id));
  if (!button) return;
  button.addEventListener('click', async () => {
    clearProblem();
    busy(button, true);
    try {
      await run();
    } catch (e) {
      showProblem(explainFailure(e, texts), texts);
      busy(button, false);
    }
  });
}

step('sign-application', async () => {
  const challenge = await postJson(`${base}/challenge`, {});
  setStatus(texts.waiting);
  const cms = await signText(data.agentUrl, data.locale, challenge.content, { extKeyUsageOids: ['1.3.6.1.5.5.7.3.4'], iin: data.iin });
  setStatus(texts.verifying);
  const done = await postJson(`${base}/signature`, { challengeId: challenge.id, cms });
  window.location.assign(done.redirect);
});

step('create-keys', async () => {
  setStatus(texts.waiting);
  // Keys created earlier whose certificates never arrived (a reload, a lost connection) are used first:
  // the agent still holds them, sealed under the password already chosen.
  const pending = await keysCall(data.agentUrl, data.locale, 'listPending', {});
  let request = Array.isArray(pending) ? pending.filter((p) => p.keys?.length === 2).sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)))[0] : undefined;
  if (!request) {
    let storage = 'PKCS12';
    if (data.storage === 'token') {
      const tokens = await activeTokens(data.agentUrl);
      if (!Array.isArray(tokens) || tokens.length === 0) throw new AgentError(texts.noToken, undefined, undefined);
      storage = tokens[0];
    }
    request = await keysCall(data.agentUrl, data.locale, 'generateKeys', { storage, keyTypes: ['AUTHENTICATION', 'SIGNATURE'], algorithm: 'RSA-2048' });
  }
  setStatus(texts.issuing);
  await postJson(`${base}/keys`, { requestId: request.requestId, keys: request.keys.map((k) => ({ keyType: k.keyType, csr: k.csr })) });
  window.location.assign(base);
});

step('install', async () => {
  const issued = data.issued;
  setStatus(texts.waiting);
  let result;
  try {
    result = await keysCall(data.agentUrl, data.locale, 'installCertificates', { requestId: issued.requestId, certificates: issued.certificates, chain: issued.chain });
  } catch (e) {
    if (e instanceof AgentError && /No pending key request/.test(e.message)) throw new AgentError(texts.unknownRequest, undefined, undefined);
    throw e;
  }
  const done = await postJson(`${base}/installed`, { installed: result.installed });
  window.location.assign(done.redirect);
});
