/**
 * Key generation: the user picks where the new keys live — key files on this computer (and types the new
 * files' password twice, checked against the national rule shown next to the field) or a token (and types its
 * PIN) — and confirms. The password is typed here, never on the site.
 */
import { checkKeyPassword, isQtError } from '@qoltanba/pki';
import { html, type Html } from '../../ui/html.ts';
import { button, formStart, type PageContext } from '../../ui/layout.ts';
import { PKCS12_STORAGE, type KeySource, type KeySources } from '../../keystores/types.ts';
import type { GenerationTarget } from '../../keygen/generator.ts';
import type { ConsentFlow, ConsentForm, ConsentSession } from '../session.ts';
import { failWork } from './unlock.ts';

export interface NewKeysOptions<T> {
  sources: KeySources;
  /** Storage the site asked for (PKCS12 or a token storage name); null lets the user choose. */
  storage: string | null;
  /** e.g. "AUTH + SIGN" and "RSA-2048", for the sentence saying what will be created. */
  kinds: string;
  algorithm: string;
  perform(target: GenerationTarget): Promise<T>;
}

const FILE_CHOICE = 'new-file';

export class NewKeysFlow<T> implements ConsentFlow<T> {
  constructor(private readonly options: NewKeysOptions<T>) {}

  private async tokens(): Promise<KeySource[]> {
    const { storage } = this.options;
    if (storage === PKCS12_STORAGE) return [];
    return (await this.options.sources.list()).filter((s) => s.kind === 'token' && (storage === null || s.storage === storage));
  }

  private filesAllowed(): boolean {
    return this.options.storage === null || this.options.storage === PKCS12_STORAGE;
  }

  async render(_session: ConsentSession<T>, page: PageContext): Promise<Html> {
    const tokens = await this.tokens();
    const files = this.filesAllowed();
    const single = (files ? 1 : 0) + tokens.length === 1;
    const fileChoice = files
      ? html`<div class="choice"><input type="radio" name="target" id="target-file" value="${FILE_CHOICE}"${single ? html` checked` : ''}>
<label for="target-file">${page.t.t('word.storage')}: ${page.t.t('word.storage.computer')}</label></div>`
      : '';
    const tokenChoices = tokens.map(
      (s, i) => html`<div class="choice"><input type="radio" name="target" id="target-${i}" value="${s.id}"${single ? html` checked` : ''}>
<label for="target-${i}">${page.t.t('storage.token', { label: s.label })} (${s.storage})<br><span class="detail">${s.detail ?? ''}</span></label></div>`,
    );
    const none = !files && tokens.length === 0 ? html`<p class="flash">${page.t.t('storage.none')}</p>` : '';
    const passwordFields = files
      ? html`<p class="note" id="rule">${page.t.t('word.passwordRule')}</p>
<div class="field"><label for="password">${page.t.t('generate.password')}</label><input type="password" id="password" name="password" autocomplete="new-password" aria-describedby="rule"></div>
<div class="field"><label for="repeat">${page.t.t('generate.repeat')}</label><input type="password" id="repeat" name="repeat" autocomplete="new-password"></div>
<p class="note">${page.t.t('generate.remember')}</p>`
      : '';
    const pinField = tokens.length > 0 ? html`<div class="field"><label for="pin">${page.t.t('secret.pin')}</label><input type="password" id="pin" name="pin" autocomplete="off"></div>` : '';
    return html`<p>${page.t.t('generate.what', { kinds: this.options.kinds, algorithm: this.options.algorithm })}</p>
${formStart(page)}<fieldset><legend>${page.t.t('word.storage')}</legend>${none}${fileChoice}${tokenChoices}</fieldset>
${passwordFields}${pinField}
<div class="buttons">${button('create', page.t.t('button.create'), 'primary')}${button('refresh', page.t.t('word.refreshKeys'))}${button('cancel', page.t.t('button.cancel'))}</div></form>`;
  }

  async handle(session: ConsentSession<T>, form: ConsentForm): Promise<void> {
    if (form.action !== 'create') return;
    const choice = form.get('target');
    let target: GenerationTarget;
    if (choice === FILE_CHOICE && this.filesAllowed()) {
      const password = form.get('password') ?? '';
      const check = checkKeyPassword(password);
      if (!check.ok) {
        session.flash = { key: 'word.passwordRule' };
        return;
      }
      if (password !== form.get('repeat')) {
        session.flash = { key: 'error.passwordMismatch' };
        return;
      }
      target = { kind: 'file', password };
    } else {
      const source = (await this.tokens()).find((s) => s.id === choice);
      if (!source) {
        session.flash = { key: 'error.noSource' };
        return;
      }
      target = { kind: 'token', source, pin: form.get('pin') ?? '' };
    }
    try {
      const result = await this.options.perform(target);
      session.succeed(result, { key: 'result.generated', params: { site: session.origin }, ok: true });
    } catch (e) {
      if (isQtError(e, 'QT_ERR_PIN_INCORRECT')) session.wrongSecret();
      else if (isQtError(e, 'QT_ERR_PIN_LOCKED')) session.flash = { key: 'error.pinLocked' };
      else failWork(session, e);
    }
  }

  async dispose(): Promise<void> {}
}
