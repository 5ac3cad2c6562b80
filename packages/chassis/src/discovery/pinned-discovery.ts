// Services whose addresses come from configuration, whatever the registry lists: identity, where the
// keys that verify every token and the token endpoint (client secrets, passwords) are. A registry entry
// can then never redirect those calls; the TLS client still checks the SPIFFE id of who answers.

import { staticDiscovery } from './static-discovery.ts';
import type { Discovery, ServiceInstance } from './types.ts';

/**
 * `discovery` with the lists of the `pinned` services replaced by fixed URLs. An instance the registry
 * lists at one of those URLs lends it its instance id and metadata (version, zone, admin URL), so that
 * operators and the telemetry scraper see identity as it registered; the address itself never comes
 * from the registry. Unlisted URLs keep the static form (the URL is the instance id). Everything else,
 * a registry client's registration included, is `discovery`'s own.
 */
export function pinServices<D extends Discovery>(discovery: D, pinned: Readonly<Record<string, readonly string[]>>): D {
  const fixed = staticDiscovery(pinned);
  // instances() runs on every call to identity: the merged list is rebuilt only when the registry's list changes.
  const merged = new Map<string, { listed: readonly ServiceInstance[]; list: readonly ServiceInstance[] }>();
  const pinnedList = (service: string): readonly ServiceInstance[] => {
    const listed = discovery.instances(service);
    const known = merged.get(service);
    if (known?.listed === listed) return known.list;
    const byUrl = new Map(listed.map((i) => [i.url, i]));
    const list = Object.freeze(
      fixed.instances(service).map((i) => {
        const registered = byUrl.get(i.url);
        return registered ? { ...registered, url: i.url, service } : i;
      }),
    );
    merged.set(service, { listed, list });
    return list;
  };
  return {
    ...discovery,
    services: () => [...new Set([...discovery.services(), ...Object.keys(pinned)])].sort(),
    instances: (service: string) => (Object.hasOwn(pinned, service) ? pinnedList(service) : discovery.instances(service)),
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
