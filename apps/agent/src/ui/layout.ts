/**
 * The frame every consent page shares: who asks (the site's origin, prominently), what for, the documents,
 * a message from the last step, then the step's form. No scripts at all: the page works with plain forms, so
 * its Content-Security-Policy can forbid every script.
 */
import { createTranslator, formatDate, locales, type Locale, type Translator } from '@qoltanba/i18n';
import { formatSerial } from '@qoltanba/pki';
import { html, type Html } from './html.ts';
import { agentCatalogs } from './messages.ts';
import type { ConsentSession } from '../consent/session.ts';
import type { DocumentPreview } from '../consent/preview.ts';
import type { KeyDescription } from '../keystores/types.ts';
import type { PageContext } from './page.ts';

export const STYLESHEET_PATH = '/consent/assets/consent.css';

export type { PageContext } from './page.ts';

export function pageContext(session: ConsentSession<unknown>): PageContext {
  return {
    t: createTranslator(agentCatalogs, session.locale),
    locale: session.locale,
    action: `/consent/${session.id}`,
    csrf: session.csrf,
  };
}

export function translator(locale: Locale): Translator {
  return createTranslator(agentCatalogs, locale);
}

/** The opening of the step's form: multipart (a key file may be attached) with the CSRF token. */
export function formStart(page: PageContext): Html {
  return html`<form method="post" enctype="multipart/form-data" action="${page.action}" autocomplete="off">
<input type="hidden" name="csrf" value="${page.csrf}">`;
}

export function button(action: string, label: string, kind: 'primary' | 'secondary' = 'secondary'): Html {
  return html`<button type="submit" name="action" value="${action}" class="${kind}">${label}</button>`;
}

function documentBlock(page: PageContext, doc: DocumentPreview, n: number, count: number): Html {
  const title = count > 1 ? html`<h3>${page.t.t('doc.number', { n })}</h3>` : '';
  if (doc.kind === 'digest') {
    return html`<section class="doc">${title}<p class="digest">${page.t.t('doc.digest', { algorithm: doc.algorithm, hash: doc.hex })}</p></section>`;
  }
  if (doc.kind === 'binary') {
    return html`<section class="doc">${title}<p>${page.t.t('doc.binary', { size: doc.size, hash: doc.sha256 })}</p></section>`;
  }
  const label = page.t.t(doc.kind === 'xml' ? 'doc.xml' : 'doc.text', { size: doc.size });
  const cut = doc.total > [...doc.text].length ? html`<p class="note">${page.t.t('doc.truncated', { shown: [...doc.text].length, total: doc.total })}</p>` : '';
  return html`<section class="doc">${title}<p>${label}</p><pre>${doc.text}</pre>${cut}</section>`;
}

/** Documents beyond this many are counted but not shown one by one (the count is always in the heading). */
const SHOWN_DOCUMENTS = 20;

function purposeBlock(page: PageContext, session: ConsentSession<unknown>): Html {
  const site = session.origin;
  const p = session.purpose;
  const askKey = { sign: 'ask.sign', keyInfo: 'ask.keyInfo', generate: 'ask.generate', install: 'ask.install', site: 'ask.site' }[p.kind];
  const params: Record<string, string | number> = p.kind === 'sign' ? { site, count: p.documents.length } : { site };
  const heading = page.t.t(askKey, params);
  const docs =
    p.kind === 'sign'
      ? html`<h2>${page.t.t('doc.heading')}</h2>
${p.sourceFile ? html`<p class="file">${page.t.t('doc.file', { path: p.sourceFile })}</p>${p.attached ? html`<p class="flash">${page.t.t('doc.fileCopy')}</p>` : ''}` : ''}
${p.earlierSigners?.length ? html`<p class="cosign">${page.t.t('doc.cosign', { signers: p.earlierSigners.join('; ') })}</p>` : ''}
${p.format === 'cms' && p.attached !== undefined ? html`<p class="note">${page.t.t(p.attached ? 'doc.attached' : 'doc.detached')}</p>` : ''}
${p.timeStampFrom ? html`<p class="note">${page.t.t('doc.timeStamp', { tsa: p.timeStampFrom })}</p>` : ''}
${p.documents.slice(0, SHOWN_DOCUMENTS).map((d, i) => documentBlock(page, d, i + 1, p.documents.length))}`
      : '';
  return html`<h1 class="ask">${heading}</h1>
<p class="check">${page.t.t('ask.check')}</p>
${docs}`;
}

function languageLinks(page: PageContext, path: string): Html {
  return html`<nav class="lang">${locales.map((l) =>
    l === page.locale ? html`<strong lang="${l}">${page.t.t(`lang.${l}`)}</strong> ` : html`<a lang="${l}" href="${path}?lang=${l}">${page.t.t(`lang.${l}`)}</a> `,
  )}</nav>`;
}

export function keyCard(page: PageContext, d: KeyDescription, storage: string): Html {
  const rows: Html[] = [];
  if (d.iin) rows.push(html`<div><dt>${page.t.t('key.iin')}</dt><dd>${d.iin}</dd></div>`);
  if (d.organisation) rows.push(html`<div><dt>${page.t.t('key.org')}</dt><dd>${d.organisation}</dd></div>`);
  if (d.bin) rows.push(html`<div><dt>${page.t.t('key.bin')}</dt><dd>${d.bin}</dd></div>`);
  rows.push(html`<div><dt>${page.t.t('key.issuer')}</dt><dd>${d.issuerCn}</dd></div>`);
  rows.push(html`<div><dt>${page.t.t('key.serial')}</dt><dd>${formatSerial(d.serialNumber)}</dd></div>`);
  rows.push(html`<div><dt>${page.t.t('key.storage')}</dt><dd>${storage}</dd></div>`);
  const validity = page.t.t('key.validity', { from: formatDate(page.locale, d.notBefore), to: formatDate(page.locale, d.notAfter) });
  return html`<span class="kind">${page.t.t(`key.kind.${d.kind}`)}</span> <span class="cn">${d.subjectCn}</span>
<dl>${rows}</dl><span class="validity">${validity}</span>`;
}

export function renderPage(session: ConsentSession<unknown>, body: Html): string {
  const page = pageContext(session);
  const flash = session.flash ? html`<p class="flash" role="alert">${page.t.t(session.flash.key, session.flash.params)}</p>` : '';
  return pageShell(page, html`${languageLinks(page, page.action)}${purposeBlock(page, session)}${flash}${body}`).value;
}

/** The final page once the session is over, or for an unknown id. */
export function renderNotice(locale: Locale, text: string, ok: boolean, path?: string): string {
  const t = translator(locale);
  const page: PageContext = { t, locale, action: path ?? '', csrf: '' };
  const links = path ? languageLinks(page, path) : '';
  return pageShell(page, html`${links}<p class="${ok ? 'done' : 'refused'}" role="status">${text}</p>`).value;
}

function pageShell(page: PageContext, body: Html): Html {
  return html`<!doctype html>
<html lang="${page.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${page.t.t('page.title')}</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<header><strong>Qoltanba</strong> · ${page.t.t('page.agent')}</header>
<main>
${body}
</main>
</body>
</html>`;
}

export const STYLESHEET = `
:root { color-scheme: light; font-family: system-ui, sans-serif; }
body { margin: 0; background: #f3f5f8; color: #1b1f24; }
header { background: #0b4f8a; color: #fff; padding: .6rem 1rem; font-size: .95rem; }
main { max-width: 46rem; margin: 1rem auto; background: #fff; padding: 1rem 1.5rem 1.5rem; border-radius: 8px; box-shadow: 0 1px 3px #0002; }
h1.ask { font-size: 1.25rem; } h2 { font-size: 1.05rem; margin-top: 1.2rem; } h3 { font-size: .95rem; margin: .6rem 0 .2rem; }
.check { background: #fff6d6; border-left: 4px solid #e0a800; padding: .5rem .75rem; }
.flash { background: #fde2e1; border-left: 4px solid #c62828; padding: .5rem .75rem; font-weight: 600; }
.done { background: #e3f4e5; border-left: 4px solid #2e7d32; padding: .75rem; }
.refused { background: #fde2e1; border-left: 4px solid #c62828; padding: .75rem; }
pre { white-space: pre-wrap; word-break: break-all; background: #f6f8fa; border: 1px solid #d8dee4; padding: .5rem; max-height: 16rem; overflow: auto; }
.digest { word-break: break-all; }
.note { color: #4a5560; font-size: .9rem; }
fieldset { border: 1px solid #d8dee4; border-radius: 6px; margin: 1rem 0; }
fieldset label { display: block; padding: .4rem 0; }
.choice { display: flex; gap: .5rem; align-items: flex-start; padding: .5rem 0; border-bottom: 1px solid #eef1f4; }
.choice:last-child { border-bottom: 0; }
.detail { color: #4a5560; font-size: .85rem; }
.kind { font-weight: 700; color: #0b4f8a; } .cn { font-weight: 600; }
dl { display: flex; flex-wrap: wrap; gap: .2rem 1.2rem; margin: .3rem 0; font-size: .9rem; } dl div { display: flex; gap: .3rem; } dt { color: #4a5560; } dd { margin: 0; }
.validity { font-size: .9rem; } .invalid { color: #c62828; font-weight: 600; }
.field { margin: .8rem 0; } .field label { display: block; font-weight: 600; margin-bottom: .25rem; }
input[type=password], input[type=file] { font-size: 1rem; padding: .35rem; width: 100%; max-width: 24rem; box-sizing: border-box; }
.buttons { display: flex; gap: .6rem; flex-wrap: wrap; margin-top: 1rem; }
button { font-size: 1rem; padding: .5rem 1.1rem; border-radius: 6px; border: 1px solid #8796a5; background: #fff; cursor: pointer; }
button.primary { background: #0b4f8a; color: #fff; border-color: #0b4f8a; }
button:focus-visible, input:focus-visible, a:focus-visible { outline: 3px solid #e0a800; outline-offset: 2px; }
.site-question { border: 2px solid #e0a800; border-radius: 8px; padding: .2rem 1rem .6rem; margin: 1rem 0; }
.origin code { display: block; font-size: 1.3rem; font-weight: 700; word-break: break-all; background: #f6f8fa; padding: .5rem .75rem; border-radius: 6px; }
.lang { float: right; font-size: .9rem; } .lang a, .lang strong { margin-left: .5rem; }
`;
