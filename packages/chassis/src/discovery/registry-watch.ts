// Follows the registry's service lists with its long-poll watch, keeping the
// last good list through outages so calls keep flowing to known instances.

import { backoffDelay, type BackoffOptions } from '../backoff.ts';
import { createOutageLog, sleep, type RegistryHttp } from './registry-http.ts';
import type { Clock, Log, ServiceInstance } from './types.ts';

export type ServiceLists = ReadonlyMap<string, readonly ServiceInstance[]>;

export interface WatchLoopOptions {
  http: RegistryHttp;
  log: Log;
  clock: Clock;
  registryUrl: string;
  waitSeconds: number;
  requestTimeoutMs: number;
  retry: BackoffOptions;
  /** Called with every list received, changed or not. */
  onList(lists: ServiceLists): void;
}

/** Runs until `signal` aborts; an abort also cancels the long-poll in flight. */
export async function runWatchLoop(options: WatchLoopOptions, signal: AbortSignal): Promise<void> {
  const { http, waitSeconds, requestTimeoutMs } = options;
  const outage = createOutageLog(options.log, options.clock, 'the service watch', options.registryUrl);
  let index: number | undefined;
  let failures = 0;
  while (!signal.aborted) {
    try {
      // Without an index (at start, and after any failure) ask for the list
      // directly: a long-poll with a stale index could wait out its whole
      // period before answering, leaving this process on an old list.
      const res =
        index === undefined
          ? await http.call('GET', '/api/v1/services', { timeoutMs: requestTimeoutMs, signal })
          : await http.call('GET', `/api/v1/watch?index=${index}&waitSeconds=${waitSeconds}`, {
              // The registry answers after waitSeconds at the latest; allow for a slow answer on top.
              timeoutMs: waitSeconds * 1000 + requestTimeoutMs,
              signal,
            });
      if (res.status !== 200) throw new Error(`service list answered ${res.status}`);
      const parsed = parseServiceLists(res.body);
      index = parsed.index;
      failures = 0;
      outage.recovered();
      options.onList(parsed.lists);
    } catch (err) {
      if (signal.aborted) break;
      index = undefined;
      outage.failed(err);
      await sleep(backoffDelay({ curve: 'full-jitter', ...options.retry }, ++failures, options.retry.random), signal);
    }
  }
}

/** Reads `{ index, services: { [name]: Instance[] } }`; throws on anything else. */
export function parseServiceLists(body: unknown): { index: number; lists: ServiceLists } {
  const doc = body as { index?: unknown; services?: unknown } | undefined;
  if (!doc || typeof doc !== 'object' || typeof doc.index !== 'number' || !doc.services || typeof doc.services !== 'object') {
    throw new Error('the registry answered something that is not a service list');
  }
  const lists = new Map<string, readonly ServiceInstance[]>();
  for (const [service, raw] of Object.entries(doc.services as Record<string, unknown>)) {
    if (!Array.isArray(raw)) continue;
    const instances = raw.flatMap((item) => toInstance(service, item));
    if (instances.length > 0) lists.set(service, Object.freeze(instances));
  }
  return { index: doc.index, lists };
}

function toInstance(service: string, item: unknown): ServiceInstance[] {
  const i = item as Partial<Record<keyof ServiceInstance, unknown>> | undefined;
  if (!i || typeof i.instanceId !== 'string' || typeof i.url !== 'string') return [];
  const metadata: Record<string, string> = {};
  if (i.metadata && typeof i.metadata === 'object') {
    for (const [k, v] of Object.entries(i.metadata)) if (typeof v === 'string') metadata[k] = v;
  }
  return [
    Object.freeze({
      instanceId: i.instanceId,
      service,
      url: i.url.replace(/\/+$/, ''),
      version: typeof i.version === 'string' ? i.version : 'unknown',
      zone: typeof i.zone === 'string' ? i.zone : 'local',
      weight: typeof i.weight === 'number' && Number.isFinite(i.weight) ? i.weight : 100,
      metadata: Object.freeze(metadata),
    }),
  ];
}

/** A canonical text of the lists: equal texts mean nothing a caller can see changed. */
export function listsSignature(lists: ServiceLists): string {
  const services = [...lists.keys()].sort();
  return JSON.stringify(
    services.map((service) => [
      service,
      [...(lists.get(service) ?? [])]
        .sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0))
        .map((i) => [i.instanceId, i.url, i.version, i.zone, i.weight, Object.entries(i.metadata).sort()]),
    ]),
  );
}
