/** The URLs written into certificates (CRL, delta CRL, OCSP, CA issuers), normalised to lists and checked. */
import { QtError } from '@qoltanba/errors';
import type { UrlKind } from '../profiles/index.ts';

export type UrlsInput = Partial<Record<UrlKind, string | readonly string[]>>;
export type Urls = Record<UrlKind, string[]>;

const URL_KINDS: readonly UrlKind[] = ['crl', 'deltaCrl', 'ocsp', 'caIssuers'];

/** Why this URL cannot go into a certificate, or undefined when it can. */
export function urlProblem(url: string): string | undefined {
  // IA5String: ASCII only; relying parties fetch these over HTTP (or LDAP for old directories).
  if (!/^[\x21-\x7e]+$/.test(url)) return `"${url}" must be ASCII without spaces`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `"${url}" is not a URL`;
  }
  if (!['http:', 'https:', 'ldap:'].includes(parsed.protocol)) return `"${url}" must be http, https or ldap`;
  return undefined;
}

export function normalizeUrls(input: UrlsInput | undefined): Urls {
  const urls = {} as Urls;
  for (const kind of URL_KINDS) {
    const value = input?.[kind];
    urls[kind] = value === undefined ? [] : typeof value === 'string' ? [value] : [...value];
    for (const url of urls[kind]) {
      const problem = urlProblem(url);
      if (problem) throw new QtError('QT_ERR_INPUT_INVALID', `The ${kind} URL ${problem}`, { kind, url });
    }
  }
  return urls;
}
