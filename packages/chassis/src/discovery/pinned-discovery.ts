// Services whose addresses come from configuration, whatever the registry lists: identity, where the
// keys that verify every token and the token endpoint (client secrets, passwords) are. A registry entry
// can then never redirect those calls; the TLS client still checks the SPIFFE id of who answers.

import { staticDiscovery } from './static-discovery.ts';
import type { Discovery } from './types.ts';

/**
 * `discovery` with the lists of the `pinned` services replaced by fixed URLs (the instance id of each is
 * its URL, as in static discovery). Everything else, a registry client's registration included, is
 * `discovery`'s own.
 */
export function pinServices<D extends Discovery>(discovery: D, pinned: Readonly<Record<string, readonly string[]>>): D {
  const fixed = staticDiscovery(pinned);
  return {
    ...discovery,
    instances: (service: string) => (Object.hasOwn(pinned, service) ? fixed.instances(service) : discovery.instances(service)),
  };
}

/**
 * Parses a variable holding one base URL or several separated by commas (`https://a:1,https://b:2`);
 * throws an error naming the variable and the bad part.
 */
export function parseUrlList(variable: string, text: string): string[] {
  const urls = text
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u.length > 0);
  if (urls.length === 0) throw new Error(`${variable}: no URL in ${JSON.stringify(text)}`);
  return urls.map((url) => {
    if (!URL.canParse(url)) throw new Error(`${variable}: ${JSON.stringify(url)} is not a URL`);
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new Error(`${variable}: ${JSON.stringify(url)} must be http or https`);
    if (parsed.pathname !== '/' || parsed.search || parsed.hash || parsed.username)
      throw new Error(`${variable}: ${JSON.stringify(url)} must be a base URL (scheme, host and port only)`);
    return parsed.origin;
  });
}
