// @ts-check
/** The login page: «Обновить список ключей» (the agent shares the key), then «Подписать» (the challenge). */
import { getKeyInfo, signText } from './agent.js';
import { busy, clearProblem, explainFailure, pageData, postJson, setStatus, showProblem } from './ui.js';

const data = pageData();
const texts = data.texts;
// The operators' console signs in the same way at /operator/login.
const base = data.loginBase ?? '/login';
const refresh = /** @type {HTMLButtonElement} */ (document.getElementById('refresh'));
const sign = /** @type {HTMLButtonElement} */ (document.getElementById('sign'));
const keyCard = /** @type {HTMLElement} */ (document.getElementById('key'));
const details = /** @type {HTMLElement} */ (document.getElementById('key-details'));
/** The serial of the key the person chose: signing is pinned to that very key. */
let serialNumber = '';

function showKey(key, labels) {
  details.replaceChildren();
  for (const [label, value] of labels) {
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.textContent = value;
    dd.dataset.field = label;
    details.append(dt, dd);
  }
  keyCard.hidden = false;
}

refresh.addEventListener('click', async () => {
  clearProblem();
  busy(refresh, true);
  keyCard.hidden = true;
  setStatus(texts.waiting);
  try {
    const info = await getKeyInfo(data.agentUrl, data.locale);
    const described = await postJson(`${base}/key`, { certificate: info.pem });
    const k = described.key;
    showKey(k, [
      [data.labels.owner, k.owner],
      [data.labels.iin, k.iin],
      [data.labels.kind, k.kind],
      [data.labels.validUntil, k.validUntil],
      [data.labels.daysLeft, k.daysLeft],
      [data.labels.issuer, k.issuer],
    ]);
    setStatus('');
    if (described.problem) {
      sign.hidden = true;
      showProblem(described.problem, texts);
    } else {
      serialNumber = described.serialNumber;
      sign.hidden = false;
      sign.focus();
    }
  } catch (e) {
    showProblem(explainFailure(e, texts), texts);
  } finally {
    busy(refresh, false);
  }
});

sign.addEventListener('click', async () => {
  clearProblem();
  busy(sign, true);
  try {
    const challenge = await postJson(`${base}/challenge`, {});
    setStatus(texts.waiting);
    const cms = await signText(data.agentUrl, data.locale, challenge.content, { extKeyUsageOids: ['1.3.6.1.5.5.7.3.2'], serialNumber });
    setStatus(texts.verifying);
    const done = await postJson(base, { challengeId: challenge.id, cms });
    setStatus(data.labels.done);
    window.location.assign(done.redirect);
  } catch (e) {
    showProblem(explainFailure(e, texts), texts);
    busy(sign, false);
  }
});
