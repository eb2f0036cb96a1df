/**
 * Signing and getKeyInfo: the user picks a storage and types its password or PIN, sees the keys that fit the
 * site's request (and only those), picks one and confirms. The operation runs inside the confirmation, so the
 * page can say whether it worked.
 */
import { isQtError } from '@qoltanba/pki';
import type { Translator } from '@qoltanba/i18n';
import { html, type Html } from '../../ui/html.ts';
import { button, formStart, keyCard, type PageContext } from '../../ui/layout.ts';
import { PKCS12_STORAGE, type KeySources, type UnlockedSource, type UsableKey } from '../../keystores/types.ts';
import type { ConsentFlow, ConsentForm, ConsentSession } from '../session.ts';
import { allowedSources, secretLabelKey, sourceChoice } from './storage-choice.ts';
import { failWork, unlockFromForm } from './unlock.ts';

export interface PickKeyOptions<T> {
  sources: KeySources;
  /** NCALayer storage names the site allows; null = any. */
  allowedStorages: readonly string[] | null;
  /** The site's constraints (key type, EKU/role OIDs, IIN, BIN, …). */
  fits(key: UsableKey): boolean;
  /** The constraints in words, for "no key fits". */
  requirements(t: Translator): string;
  confirmLabel: 'word.sign' | 'button.share';
  successMessage: 'result.signed' | 'result.shared';
  /** A certificate outside its validity cannot be chosen; the clock is injectable so expired test keys can be used as of a past date. */
  now(): Date;
  perform(key: UsableKey): Promise<T>;
}

export class PickKeyFlow<T> implements ConsentFlow<T> {
  private unlocked: UnlockedSource | undefined;

  constructor(private readonly options: PickKeyOptions<T>) {}

  async render(session: ConsentSession<T>, page: PageContext): Promise<Html> {
    return this.unlocked ? this.renderKeys(page, this.unlocked) : this.renderStorages(page);
  }

  private async renderStorages(page: PageContext): Promise<Html> {
    const { allowedStorages } = this.options;
    const sources = allowedSources(await this.options.sources.list(), allowedStorages).filter((s) => s.kind !== 'upload');
    const withUpload = allowedStorages === null || allowedStorages.includes(PKCS12_STORAGE);
    const allowed = allowedStorages ? html`<p class="note">${page.t.t('storage.allowed', { list: allowedStorages.join(', ') })}</p>` : '';
    const secretKey = secretLabelKey(withUpload ? [...sources, { id: '', storage: PKCS12_STORAGE, kind: 'upload', label: '' }] : sources);
    return html`${formStart(page)}${allowed}${sourceChoice(page, sources, { withUpload })}
<div class="field"><label for="secret">${page.t.t(secretKey)}</label><input type="password" id="secret" name="secret" autocomplete="off"></div>
<div class="buttons">${button('unlock', page.t.t('button.continue'), 'primary')}${button('refresh', page.t.t('word.refreshKeys'))}${button('cancel', page.t.t('button.cancel'))}</div>
</form>`;
  }

  private usable(key: UsableKey): boolean {
    const now = this.options.now().getTime();
    return key.description.notBefore.getTime() <= now && now <= key.description.notAfter.getTime();
  }

  private renderKeys(page: PageContext, unlocked: UnlockedSource): Html {
    const fitting = unlocked.keys.map((key, index) => ({ key, index })).filter(({ key }) => this.options.fits(key));
    if (fitting.length === 0) {
      return html`${formStart(page)}<p class="flash" role="alert">${page.t.t('keys.none', { requirements: this.options.requirements(page.t) })}</p>
<div class="buttons">${button('back', page.t.t('button.back'), 'primary')}${button('cancel', page.t.t('button.cancel'))}</div></form>`;
    }
    const selectable = fitting.filter(({ key }) => this.usable(key));
    const only = selectable.length === 1 ? selectable[0]?.index : undefined;
    const rows = fitting.map(({ key, index }) => {
      const ok = this.usable(key);
      const reason = ok
        ? ''
        : html`<br><span class="invalid">${page.t.t(key.description.notAfter.getTime() < this.options.now().getTime() ? 'key.expired' : 'key.notYetValid')}</span>`;
      return html`<div class="choice"><input type="radio" name="key" id="key-${index}" value="${index}"${only === index ? html` checked` : ''}${ok ? '' : html` disabled`}>
<label for="key-${index}">${keyCard(page, key.description, key.source.storage)}${reason}</label></div>`;
    });
    return html`${formStart(page)}<fieldset><legend>${page.t.t('keys.heading')}</legend>${rows}</fieldset>
<div class="buttons">${button('confirm', page.t.t(this.options.confirmLabel), 'primary')}${button('back', page.t.t('button.back'))}${button('cancel', page.t.t('button.cancel'))}</div></form>`;
  }

  async handle(session: ConsentSession<T>, form: ConsentForm): Promise<void> {
    switch (form.action) {
      case 'unlock': {
        if (this.unlocked) return;
        const sources = allowedSources(await this.options.sources.list(), this.options.allowedStorages);
        this.unlocked = await unlockFromForm(session, form, sources, this.options.sources);
        return;
      }
      case 'back':
        await this.dispose();
        return;
      case 'confirm':
        return this.confirm(session, form);
      default:
        return; // "refresh" and anything unknown just show the step again
    }
  }

  private async confirm(session: ConsentSession<T>, form: ConsentForm): Promise<void> {
    const index = Number(form.get('key'));
    const key = this.unlocked?.keys[index];
    if (!key || !this.options.fits(key) || !this.usable(key)) {
      session.flash = { key: 'error.noKey' };
      return;
    }
    try {
      const result = await this.options.perform(key);
      session.succeed(result, { key: this.options.successMessage, params: { site: session.origin }, ok: true });
    } catch (e) {
      failWork(session, e);
    }
  }

  async dispose(): Promise<void> {
    const unlocked = this.unlocked;
    this.unlocked = undefined;
    await unlocked?.close();
  }
}
