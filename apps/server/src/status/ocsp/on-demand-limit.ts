/**
 * How many on-demand OCSP signatures (a nonce, several certIDs, SHA-256 certIDs, serials never issued) may be in
 * progress at once: `ocsp.onDemandConcurrency` in the process, and `ocsp.onDemandPerClient` per client address,
 * so one client flooding nonce requests takes at most its own share and others' requests are still signed.
 * Beyond either, the answer is tryLater at once (RFC 6960 §2.3) — nothing queues.
 *
 * A client is its IPv4 address, or the /64 of its IPv6 address (one host usually holds a whole /64, and
 * could otherwise take a new address per request).
 */
export interface OnDemandLimits {
  total: number;
  perClient: number;
}

export class OnDemandLimit {
  readonly #byClient = new Map<string, number>();
  #total = 0;

  /** A release function when a slot is free for this client, undefined when the answer must be tryLater. */
  tryAcquire(clientAddress: string | undefined, limits: OnDemandLimits): (() => void) | undefined {
    const client = clientKey(clientAddress);
    const mine = this.#byClient.get(client) ?? 0;
    if (this.#total >= limits.total || mine >= limits.perClient) return undefined;
    this.#total++;
    this.#byClient.set(client, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total--;
      const left = (this.#byClient.get(client) ?? 1) - 1;
      if (left > 0) this.#byClient.set(client, left);
      else this.#byClient.delete(client);
    };
  }

  get inFlight(): number {
    return this.#total;
  }
}

export function clientKey(address: string | undefined): string {
  if (!address) return '';
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (v4) return v4[1]!;
  if (!address.includes(':')) return address;
  return `${expandIpv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (zone and embedded IPv4 tail tolerated). */
function expandIpv6(address: string): string[] {
  const bare = address.split('%')[0]!.toLowerCase();
  const [head = '', tail] = bare.split('::');
  const parts = (s: string) => (s ? s.split(':') : []);
  const left = parts(head);
  const right = tail === undefined ? [] : parts(tail);
  const missing = Math.max(0, 8 - left.length - right.length);
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((g) => g.replace(/^0+(?=.)/, ''));
}
