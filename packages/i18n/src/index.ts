/** @qoltanba/i18n — kk/ru/en messages shared by the portal, the agent's consent page, SMS texts and the CLI, and the one HTML escaper. */
export * from './locale.ts';
export * from './translate.ts';
export { words } from './catalogs/words.ts';
export { escapeHtml, html, Html, type Interpolation } from './html.ts';
