/**
 * Who may talk to the agent. The agent listens on 127.0.0.1 only, but any web page the user opens can still
 * try: the Origin allow-list decides which sites may send requests, and the Host check stops DNS rebinding (a
 * hostile name that resolves to 127.0.0.1 arrives with its own name in Host).
 */
export const AGENT_HOST = '127.0.0.1';

/** The Host values a request to us may carry. */
export function ownHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

export function hostAllowed(hostHeader: string | undefined, port: number): boolean {
  return hostHeader !== undefined && ownHosts(port).has(hostHeader.toLowerCase());
}

/** The agent's own origins (the consent page posts back to one of them). */
export function ownOrigins(port: number, secure: boolean): Set<string> {
  const scheme = secure ? 'https' : 'http';
  return new Set([`${scheme}://127.0.0.1:${port}`, `${scheme}://localhost:${port}`]);
}

/** scheme://host[:port] in lower case without a default port, or undefined when it is not an origin. */
export function normalizeOrigin(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.origin === 'null' || !/^https?:$/.test(url.protocol)) return undefined;
    return url.origin.toLowerCase();
  } catch {
    return undefined;
  }
}

export class OriginPolicy {
  private readonly allowed: Set<string>;

  constructor(origins: readonly string[]) {
    this.allowed = new Set();
    for (const o of origins) {
      const n = normalizeOrigin(o);
      if (!n) throw new TypeError(`Not an origin (scheme://host[:port]): ${o}`);
      this.allowed.add(n);
    }
  }

  /** Exact matches only: a wildcard would let any sub-domain (or a typo-squatted one) sign in the user's name. */
  allows(origin: string | undefined): boolean {
    if (!origin) return false;
    const n = normalizeOrigin(origin);
    return n !== undefined && this.allowed.has(n);
  }

  list(): string[] {
    return [...this.allowed];
  }
}

/** Headers on every page the agent serves: nobody may frame it, cache it, sniff it, or run scripts in it. */
export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" on the page's own form posts,
  // which the origin check must then refuse; same-origin still never tells another site the page's URL.
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
};
