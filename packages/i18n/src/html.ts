/**
 * Escape-by-default HTML, the one escaper of the project: the portal and everything served with it
 * (operators' console, remote issuance, /cps), the agent's consent page and the reminder e-mails. Every
 * value interpolated by the `html` tag is escaped unless it is `Html` made by the tag itself.
 *
 * Here because both apps depend on this package and never on each other, and because it is about text that
 * people read; pki is about certificates. Why not a template library: the pages are a handful of
 * server-rendered forms, and these lines give exactly the one property that matters (nothing reaches a page
 * unescaped by accident) with no dependency to audit and no compile step.
 *
 * Booleans render as nothing — `true` as well as `false`. A boolean in a template is a condition
 * (`${ok && html`…`}`, `${done || html`…`}`), never text: the word "true" on a citizen's page is always a
 * bug, and a yes/no meant as text is a word chosen per language. (The agent's copy used to print "true";
 * none of its templates relied on it.)
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for element content and for quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

export type Interpolation = Html | string | number | boolean | null | undefined | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || typeof value === 'boolean') return '';
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}
