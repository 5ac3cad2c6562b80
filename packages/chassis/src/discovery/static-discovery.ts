// Discovery from a fixed list (STATIC_SERVICES), for running without a
// registry: tests, a single machine, or platforms that do DNS-based discovery.

import type { Discovery, ServiceInstance } from './types.ts';

const EMPTY: readonly ServiceInstance[] = Object.freeze([]);
const SERVICE_NAME = /^[a-z0-9][a-z0-9-]*$/i;

/**
 * Parses `identity=http://a,http://b;catalog=http://c` into
 * `{ identity: ['http://a', 'http://b'], catalog: ['http://c'] }`.
 * Whitespace and empty segments are ignored; trailing slashes are dropped.
 * Throws an error naming the bad part, so start-up fails with a clear message.
 */
export function parseStaticServices(text: string): Record<string, string[]> {
  const services: Record<string, string[]> = {};
  for (const raw of text.split(';')) {
    const entry = raw.trim();
    if (!entry) continue;
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new Error(`STATIC_SERVICES: "${entry}" is not of the form name=url[,url...]`);
    const name = entry.slice(0, eq).trim();
    if (!SERVICE_NAME.test(name)) throw new Error(`STATIC_SERVICES: "${name}" is not a valid service name`);
    if (Object.hasOwn(services, name)) throw new Error(`STATIC_SERVICES: service "${name}" is listed twice`);
    const urls = entry
      .slice(eq + 1)
      .split(',')
      .map((u) => u.trim())
      .filter((u) => u.length > 0);
    if (urls.length === 0) throw new Error(`STATIC_SERVICES: service "${name}" has no URL`);
    services[name] = urls.map((u) => checkUrl(u, name));
  }
  return services;
}

function checkUrl(url: string, service: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`STATIC_SERVICES: "${url}" (service "${service}") is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`STATIC_SERVICES: "${url}" (service "${service}") must be http or https`);
  }
  return url.replace(/\/+$/, '');
}

/**
 * Discovery over a fixed map of service name to base URLs. The URL doubles as
 * the instance id, so breaker state stays attached to the same address however
 * the list is ordered.
 */
export function staticDiscovery(map: Record<string, readonly string[]>): Discovery {
  const lists = new Map<string, readonly ServiceInstance[]>();
  for (const [service, urls] of Object.entries(map)) {
    lists.set(
      service,
      Object.freeze(
        urls.map((raw) => {
          const url = raw.replace(/\/+$/, '');
          return Object.freeze({ instanceId: url, service, url, version: 'static', zone: 'local', weight: 100, metadata: {} });
        }),
      ),
    );
  }
  return {
    instances: (service) => lists.get(service) ?? EMPTY,
    services: () => [...lists.keys()].sort(),
    // The list never changes, so there is nothing to notify.
    onChange: () => () => {},
    ready: async () => {},
    close: async () => {},
  };
}
