/**
 * TEST SUPPORT ONLY: machines for the multi-node test, made of Linux network namespaces. Each node gets a
 * namespace of its own, joined to this (the root) namespace by a veth pair on a /24 of its own:
 * `10.<net>.<i>.1` on the host side, `10.<net>.<i>.2` inside. A process in node i's namespace reaches the
 * host (PostgreSQL, the signer) at 10.<net>.<i>.1 and is reached (by HAProxy, by the test) at 10.<net>.<i>.2,
 * on ports nobody else on the machine uses. Needs root (CAP_NET_ADMIN) and iproute2.
 *
 * Names carry this process's pid, so concurrent runs of the test on one machine do not collide; the /24s are
 * chosen among 10.x networks no route of this machine uses yet.
 */
import { execFileSync } from 'node:child_process';

export interface NodeNetwork {
  /** The namespace's name (ip netns). */
  ns: string;
  /** Address inside the namespace: where the node listens. */
  nodeIp: string;
  /** Address on the host side: where the node reaches the host. */
  hostIp: string;
}

export interface TestNetwork {
  /** The 10.<net>.0.0/16 every node's /24 lies in (for pg_hba.conf). */
  cidr: string;
  nodes: NodeNetwork[];
  /** Deletes the namespaces (and with them the veth pairs). */
  remove(): void;
}

const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('the multi-node test makes network namespaces (ip netns, veth) and needs root; run the test command as root');
  }
}

export function createTestNetwork(count: number): TestNetwork {
  requireRoot();
  const used = ip('-4', 'route').concat(ip('-4', 'addr'));
  const candidates = Array.from({ length: 150 }, (_, i) => 100 + ((process.pid + i) % 150));
  const net = candidates.find((n) => !used.includes(`10.${n}.`));
  if (net === undefined) throw new Error('no free 10.x.0.0/16 for the test network');
  const tag = `q${process.pid.toString(36)}`;
  const made: string[] = [];
  const network: TestNetwork = {
    cidr: `10.${net}.0.0/16`,
    nodes: [],
    remove() {
      for (const ns of made.splice(0)) {
        try {
          ip('netns', 'del', ns);
        } catch {
          // already gone
        }
      }
    },
  };
  try {
    for (let i = 1; i <= count; i++) {
      const ns = `qt-${tag}-n${i}`;
      // Interface names are at most 15 bytes.
      const host = `${tag}h${i}`.slice(0, 15);
      const inside = `${tag}n${i}`.slice(0, 15);
      const hostIp = `10.${net}.${i}.1`;
      const nodeIp = `10.${net}.${i}.2`;
      ip('netns', 'add', ns);
      made.push(ns);
      ip('link', 'add', host, 'type', 'veth', 'peer', 'name', inside);
      ip('link', 'set', inside, 'netns', ns);
      ip('addr', 'add', `${hostIp}/24`, 'dev', host);
      ip('link', 'set', host, 'up');
      ip('-n', ns, 'addr', 'add', `${nodeIp}/24`, 'dev', inside);
      ip('-n', ns, 'link', 'set', inside, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      network.nodes.push({ ns, nodeIp, hostIp });
    }
  } catch (e) {
    network.remove();
    throw e;
  }
  return network;
}
