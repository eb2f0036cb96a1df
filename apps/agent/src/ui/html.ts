/**
 * Escape-by-default HTML for the consent page, which shows text that came from a web site (documents, XML):
 * nothing is ever inserted raw. The tag is the project's one escaper, in @qoltanba/i18n.
 */
export { escapeHtml, html, Html } from '@qoltanba/i18n';
