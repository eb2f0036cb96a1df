/** The frame of every portal page: language switch, sections when signed in, landmarks, one h1. */
import { locales, type Locale, type Translator } from '@qoltanba/i18n';
import { html, jsonBlock, type Html } from '../http/html.ts';

export interface PageInput {
  locale: Locale;
  t: Translator;
  /** Path of this page (no query), for the language links. */
  path: string;
  title: string;
  body: Html;
  /** Signed-in person's display name; absent on public pages. */
  person?: string | undefined;
  csrfToken?: string | undefined;
  /** Scripts under /assets/ (module scripts; the CSP allows nothing inline). */
  scripts?: string[];
  /** JSON for the page's scripts. */
  data?: unknown;
  /** Which section link is current. */
  section?: 'keys' | 'reissue' | undefined;
  /** Replaces the citizen's sections and sign-out (the operators' console has its own). */
  nav?: Html | undefined;
  /** Extra stylesheets under /assets/. */
  styles?: string[] | undefined;
  /** The demo installation: a banner on every page says the data is made up and where the SMS codes are. */
  demo?: boolean | undefined;
}

export function layout(p: PageInput): Html {
  const { t } = p;
  const langs = locales.map(
    (l) => html`<li><a href="${p.path}?lang=${l}" lang="${l}" hreflang="${l}"${l === p.locale ? html` aria-current="true"` : ''}>${t.t(`lang.${l}`)}</a></li>`,
  );
  const sections = p.nav
    ? p.nav
    : p.person
    ? html`<nav class="sections" aria-label="${t.t('layout.nav')}"><ul>
<li><a href="/keys"${p.section === 'keys' ? html` aria-current="page"` : ''}>${t.t('word.myKeys')}</a></li>
<li><a href="/reissue"${p.section === 'reissue' ? html` aria-current="page"` : ''}>${t.t('word.reissue')}</a></li>
</ul></nav>
<div class="who"><span>${t.t('layout.signedInAs', { name: p.person })}</span>
<form method="post" action="/logout"><input type="hidden" name="_csrf" value="${p.csrfToken}"><button type="submit" class="link">${t.t('layout.logout')}</button></form></div>`
    : '';
  return html`<!doctype html>
<html lang="${p.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t.t('page.title', { page: p.title })}</title>
<link rel="stylesheet" href="/assets/portal.css">
${(p.styles ?? []).map((s) => html`<link rel="stylesheet" href="/assets/${s}">`)}
${p.csrfToken ? html`<meta name="csrf-token" content="${p.csrfToken}">` : ''}
</head>
<body>
<a class="skip" href="#main">${t.t('layout.skip')}</a>
${p.demo ? html`<div class="demo-banner" role="note" aria-label="${t.t('demo.banner.label')}"><p><strong>${t.t('demo.banner.title')}</strong> ${t.t('demo.banner.text')} <a href="/demo/sms">${t.t('demo.banner.sms')}</a></p></div>` : ''}
<header class="site">
<div class="bar">
<a class="brand" href="/"><span class="logo" aria-hidden="true">Q</span> ${t.t('app.name')} · ${t.t('word.personalAccount')}</a>
<nav class="langs" aria-label="${t.t('layout.language')}"><ul>${langs}</ul></nav>
</div>
${sections}
</header>
<main id="main" tabindex="-1">
<h1>${p.title}</h1>
${p.body}
</main>
<footer class="site"><p>${t.t('layout.footer')}</p>
<p><a href="/help/agent">${t.t('help.agent.title')}</a> · <a href="/help/remote">${t.t('word.remoteIssuance')}</a> · <a href="/cps">${t.t('layout.cps')}</a></p></footer>
${p.data === undefined ? '' : jsonBlock('page-data', p.data)}
${(p.scripts ?? []).map((s) => html`<script type="module" src="/assets/${s}"></script>`)}
</body>
</html>`;
}
