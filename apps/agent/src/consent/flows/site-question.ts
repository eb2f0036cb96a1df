/**
 * The question about a site the agent has not seen before, asked before anything else in the same page: may
 * this site (its full origin — scheme, host and port — shown large, to compare with the address bar) use your
 * keys? Allow once / always / refuse. After an allow the request goes on to its own steps (pick a key, …) in
 * the same window; a request that needs nothing more ends there.
 */
import { html, type Html } from '../../ui/html.ts';
import { button, formStart, type PageContext } from '../../ui/layout.ts';
import type { SiteAccess } from '../../origins/site-access.ts';
import type { ConsentFlow, ConsentForm, ConsentSession } from '../session.ts';

const ANSWERS = { 'site-once': 'once', 'site-always': 'always', 'site-refuse': 'refused' } as const;

export class SiteQuestionFlow<T> implements ConsentFlow<T> {
  /** Set once the person allowed the site in this window: from then on the inner flow runs. */
  private passed = false;

  /** `inner` absent: the request only needed the site to be allowed (it resolves with `undefined`). */
  constructor(
    private readonly site: SiteAccess,
    private readonly inner?: ConsentFlow<T>,
  ) {}

  async render(session: ConsentSession<T>, page: PageContext): Promise<Html> {
    if (this.passed && this.inner) return this.inner.render(session, page);
    return html`${formStart(page)}<section class="site-question" aria-labelledby="site-q">
<h2 id="site-q">${page.t.t('site.first')}</h2>
<p class="origin"><code>${this.site.origin}</code></p>
<p>${page.t.t('site.question')}</p>
<p class="note">${page.t.t('site.compare')}</p>
</section>
<div class="buttons">${button('site-once', page.t.t('site.once'), 'primary')}${button('site-always', page.t.t('site.always'))}${button('site-refuse', page.t.t('site.refuse'))}</div></form>`;
  }

  async handle(session: ConsentSession<T>, form: ConsentForm): Promise<void> {
    if (this.passed && this.inner) return this.inner.handle(session, form);
    const answer = ANSWERS[form.action as keyof typeof ANSWERS];
    if (!answer) return;
    this.site.answer(answer);
    if (answer === 'refused') {
      session.fail('QT_ERR_AGENT_ORIGIN_REFUSED', 'result.siteRefused', { site: this.site.origin });
      return;
    }
    this.passed = true;
    if (!this.inner) session.succeed(undefined as T, { key: 'result.siteAllowed', params: { site: this.site.origin }, ok: true });
  }

  async dispose(): Promise<void> {
    await this.inner?.dispose();
  }
}
