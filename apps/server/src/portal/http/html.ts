/**
 * The portal's HTML: the escape-by-default `html` tag is the project's one escaper (@qoltanba/i18n, shared
 * with the agent's consent page and the reminder e-mails); what only the portal's pages need is here.
 */
import { escapeHtml, Html } from '@qoltanba/i18n';

export { escapeHtml, html, Html, type Interpolation } from '@qoltanba/i18n';

/**
 * Data for a page's script as a JSON block (`<script type="application/json">` is never executed, so the
 * CSP allows it). `<` is escaped so no value can close the element.
 */
export function jsonBlock(id: string, data: unknown): Html {
  const json = JSON.stringify(data).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return new Html(`<script type="application/json" id="${escapeHtml(id)}">${json}</script>`);
}
