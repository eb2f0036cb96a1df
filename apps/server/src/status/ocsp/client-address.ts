/**
 * The client address an OCSP request counts against (the per-client cap on on-demand signing,
 * on-demand-limit.ts). It is the TCP peer's, unless the peer is a proxy named in `ocsp.trustProxy` (addresses or
 * CIDRs, IPv4 or IPv6): then X-Forwarded-For is read from its right end — the entry the trusted proxy added —
 * leftwards past any further trusted proxies, and the first address not trusted is the client. What a client
 * writes into X-Forwarded-For itself lands left of that and is never reached; from a peer that is not trusted the
 * header is not read at all. An entry that is not an IP address stops the walk at the last trusted hop.
 *
 * Only the OCSP cap uses this: the answer itself never depends on who asked.
 */
import { BlockList, isIP } from 'node:net';
import { QtError } from '@qoltanba/pki';

export type ClientAddressOf = (peer: string | undefined, forwardedFor: string | string[] | undefined) => string | undefined;

/** The resolver for these trusted proxies; with none, the peer's address and no header read. */
export function clientAddressResolver(trustProxy: readonly string[]): ClientAddressOf {
  if (trustProxy.length === 0) return (peer) => peer;
  const trusted = trustedList(trustProxy);
  const isTrusted = (address: string): boolean => {
    const family = isIP(address);
    return family !== 0 && trusted.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };
  return (peer, forwardedFor) => {
    if (!peer || !isTrusted(unmapped(peer))) return peer;
    const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
    if (!header) return peer;
    const hops = header.split(',');
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = unmapped(stripPort(hops[i]!.trim()));
      if (isIP(hop) === 0) return client;
      client = hop;
      if (!isTrusted(hop)) return hop;
    }
    return client;
  };
}

function trustedList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits, extra] = entry.trim().split('/');
    const family = isIP(address);
    const prefix = bits === undefined ? undefined : Number(bits);
    const max = family === 6 ? 128 : 32;
    if (family === 0 || extra !== undefined || (prefix !== undefined && (!Number.isInteger(prefix) || prefix < 0 || prefix > max || bits === ''))) {
      throw new QtError('QT_ERR_INPUT_INVALID', `ocsp.trustProxy: "${entry}" is not an IP address or CIDR (e.g. "10.0.0.5", "10.0.0.0/24", "fd00::/64")`);
    }
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, prefix, type);
  }
  return list;
}

/** "::ffff:10.0.0.5" (an IPv4 peer on a dual-stack socket) is 10.0.0.5. */
function unmapped(address: string): string {
  return address.length > 7 && address.charCodeAt(0) === 58 && /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address;
}

/** Proxies may append a port ("203.0.113.7:4711", "[2001:db8::1]:4711"). */
function stripPort(hop: string): string {
  if (hop.startsWith('[')) {
    const end = hop.indexOf(']');
    return end > 0 ? hop.slice(1, end) : hop;
  }
  const colon = hop.indexOf(':');
  return colon > 0 && colon === hop.lastIndexOf(':') ? hop.slice(0, colon) : hop;
}

/** Checks the setting at start, so a typo fails the start instead of the first nonce request. */
export function validateTrustProxy(trustProxy: unknown): void {
  if (!Array.isArray(trustProxy) || trustProxy.some((e) => typeof e !== 'string')) {
    throw new QtError('QT_ERR_INPUT_INVALID', 'ocsp.trustProxy must be a list of IP addresses or CIDRs, e.g. ["10.0.0.5", "10.0.1.0/24"]');
  }
  trustedList(trustProxy as string[]);
}
