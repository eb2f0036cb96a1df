/**
 * Installing issued certificates: the user sees each certificate (kind, owner, IIN/BIN, issuer, validity) and
 * types the password chosen when the keys were created (or the token PIN); a wrong one counts as an attempt.
 */
import { isQtError } from '@qoltanba/pki';
import { html, type Html } from '../../ui/html.ts';
import { button, formStart, keyCard, type PageContext } from '../../ui/layout.ts';
import type { KeyDescription } from '../../keystores/types.ts';
import { PKCS12_STORAGE } from '../../keystores/types.ts';
import type { ConsentFlow, ConsentForm, ConsentSession } from '../session.ts';
import { failWork } from './unlock.ts';

export interface InstallOptions<T> {
  storage: string;
  certificates: readonly KeyDescription[];
  perform(secret: string): Promise<T>;
  /** The names of what was installed, for the final page. */
  describeResult(result: T): string;
}

export class InstallFlow<T> implements ConsentFlow<T> {
  constructor(private readonly options: InstallOptions<T>) {}

  async render(_session: ConsentSession<T>, page: PageContext): Promise<Html> {
    const file = this.options.storage === PKCS12_STORAGE;
    const cards = this.options.certificates.map((d) => html`<div class="choice"><div>${keyCard(page, d, this.options.storage)}</div></div>`);
    return html`${formStart(page)}<fieldset><legend>${page.t.t('install.what')}</legend>${cards}</fieldset>
<div class="field"><label for="secret">${page.t.t(file ? 'install.password' : 'secret.pin')}</label><input type="password" id="secret" name="secret" autocomplete="off"></div>
<div class="buttons">${button('install', page.t.t('button.install'), 'primary')}${button('cancel', page.t.t('button.cancel'))}</div></form>`;
  }

  async handle(session: ConsentSession<T>, form: ConsentForm): Promise<void> {
    if (form.action !== 'install') return;
    try {
      const result = await this.options.perform(form.get('secret') ?? '');
      session.succeed(result, { key: 'result.installed', params: { files: this.options.describeResult(result) }, ok: true });
    } catch (e) {
      if (isQtError(e, 'QT_ERR_PKCS12_PASSWORD') || isQtError(e, 'QT_ERR_PIN_INCORRECT')) session.wrongSecret();
      else if (isQtError(e, 'QT_ERR_PIN_LOCKED')) session.flash = { key: 'error.pinLocked' };
      else if (isQtError(e, 'QT_ERR_AGENT_STORAGE_UNAVAILABLE')) session.flash = { key: 'error.tokenGone' };
      else failWork(session, e);
    }
  }

  async dispose(): Promise<void> {}
}
