/** The storage picker shared by the flows: key files in the configured folders, another file, tokens. */
import { html, type Html } from '../../ui/html.ts';
import type { PageContext } from '../../ui/layout.ts';
import { PKCS12_STORAGE, type KeySource } from '../../keystores/types.ts';

export function allowedSources(all: readonly KeySource[], allowedStorages: readonly string[] | null): KeySource[] {
  return allowedStorages === null ? [...all] : all.filter((s) => allowedStorages.includes(s.storage));
}

function sourceLabel(page: PageContext, s: KeySource): string {
  if (s.kind === 'file') return `${page.t.t('storage.file')}: ${s.label}`;
  if (s.kind === 'upload') return page.t.t('storage.upload');
  return `${page.t.t('storage.token', { label: s.label })} (${s.storage})`;
}

export function secretLabelKey(sources: readonly KeySource[]): string {
  const files = sources.some((s) => s.storage === PKCS12_STORAGE);
  const tokens = sources.some((s) => s.storage !== PKCS12_STORAGE);
  return files && tokens ? 'secret.either' : tokens ? 'secret.pin' : 'secret.password';
}

/** Radio buttons for the sources plus, when the file storage is allowed, a file input for another key file. */
export function sourceChoice(page: PageContext, sources: readonly KeySource[], options: { withUpload: boolean }): Html {
  const only = sources.length === 1 ? sources[0]?.id : undefined;
  const choices = sources.map(
    (s, i) => html`<div class="choice"><input type="radio" name="source" id="source-${i}" value="${s.id}"${only === s.id ? html` checked` : ''}>
<label for="source-${i}">${sourceLabel(page, s)}${s.detail ? html`<br><span class="detail">${s.detail}</span>` : ''}</label></div>`,
  );
  const upload = options.withUpload
    ? html`<div class="field"><label for="keyfile">${page.t.t('storage.upload')}</label>
<input type="file" id="keyfile" name="keyfile" accept=".p12,.pfx,application/x-pkcs12"></div>`
    : '';
  const none = sources.length === 0 && !options.withUpload ? html`<p class="flash">${page.t.t('storage.none')}</p>` : '';
  return html`<fieldset><legend>${page.t.t('word.storage')}</legend>${none}${choices}${upload}</fieldset>`;
}
