import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses a webhook may not reach unless WEBHOOK_ALLOW_PRIVATE=true: loopback, private,
 * link-local, unspecified, carrier-grade NAT, multicast and the like (IPv4 and IPv6, and IPv4
 * mapped into IPv6), so an admin key cannot point the service at its own network.
 */
const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return BLOCKED.check(mapped[1], 'ipv4');
    return BLOCKED.check(address, 'ipv6');
  }
  return true; // not an address at all: refuse
}

export class WebhookUrlError extends Error {}

/** The URL, parsed, if it is http(s) with a host; throws WebhookUrlError saying why not. */
export function parseWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlError('url must be an absolute http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebhookUrlError('url must use http or https');
  if (!url.hostname) throw new WebhookUrlError('url must name a host');
  if (url.username || url.password) throw new WebhookUrlError('url must not carry credentials');
  return url;
}

/**
 * Resolves the host and returns its addresses; refuses (WebhookUrlError) a host that does not
 * resolve or has any address in a refused range, unless private addresses are allowed.
 */
export async function resolveAllowed(hostname: string, allowPrivate: boolean): Promise<Array<{ address: string; family: number }>> {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  let addresses: Array<{ address: string; family: number }>;
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await lookup(host, { all: true, verbatim: true });
    } catch {
      throw new WebhookUrlError(`the host ${host} does not resolve`);
    }
  }
  if (addresses.length === 0) throw new WebhookUrlError(`the host ${host} does not resolve`);
  if (!allowPrivate) {
    const refused = addresses.find((a) => isPrivateAddress(a.address));
    if (refused) throw new WebhookUrlError(`the host ${host} resolves to ${refused.address}, a loopback, private or link-local address (WEBHOOK_ALLOW_PRIVATE=true allows it)`);
  }
  return addresses;
}
