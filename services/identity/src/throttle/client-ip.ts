// The client address a request came from. Behind the gateway the socket peer
// is the gateway; it appends the address it saw to X-Forwarded-For (as
// nginx's $proxy_add_x_forwarded_for does), so the last entry is the one to
// trust: everything before it was sent by the client and may be made up.
// IPv6 addresses count per /64, the block one subscriber usually gets.

import { isIPv6 } from 'node:net';

function expandIpv6(address: string): string[] | undefined {
  const [head, tail, more] = address.split('::');
  if (more !== undefined) return undefined;
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  return [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right];
}

/** One key per client: an IPv4 address, or an IPv6 address's /64 (`2001:db8:0:1::/64`). */
export function clientKey(address: string): string {
  const bare = address.trim().replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return mapped[1]!;
  if (!isIPv6(bare)) return bare;
  const groups = expandIpv6(bare.split('%')[0]!);
  if (!groups) return bare;
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/** The client's key: the last X-Forwarded-For entry when there is one, else the socket peer. */
export function clientIp(forwardedFor: string | string[] | undefined, peer: string | undefined): string {
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  const last = header
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .pop();
  return clientKey(last ?? peer ?? 'unknown');
}
