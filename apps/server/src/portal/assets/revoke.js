// @ts-check
/** Revocation: the chosen certificates and reason → the server's text → signed by the agent → revoked. */
import { signText } from './agent.js';
import { busy, clearProblem, explainFailure, pageData, postJson, setStatus, showProblem } from './ui.js';

const data = pageData();
const texts = data.texts;
const form = /** @type {HTMLFormElement} */ (document.getElementById('revoke-form'));
const button = /** @type {HTMLButtonElement} */ (document.getElementById('revoke'));

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearProblem();
  const targets = [...form.querySelectorAll('input[name="target"]:checked')].map((i) => /** @type {HTMLInputElement} */ (i).value);
  if (targets.length === 0) {
    showProblem({ what: texts.pick }, texts);
    return;
  }
  const reason = /** @type {HTMLSelectElement} */ (form.querySelector('#reason')).value;
  busy(button, true);
  try {
    const challenge = await postJson('/revoke/challenge', { targets, reason });
    setStatus(texts.waiting);
    const cms = await signText(data.agentUrl, data.locale, challenge.content, { extKeyUsageOids: ['1.3.6.1.5.5.7.3.4'], iin: data.iin });
    setStatus(texts.verifying);
    const done = await postJson('/revoke', { challengeId: challenge.id, cms, applicationId: data.applicationId });
    window.location.assign(done.redirect);
  } catch (e) {
    showProblem(explainFailure(e, texts), texts);
    busy(button, false);
  }
});
