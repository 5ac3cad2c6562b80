// The registry's state: live service instances in memory, with TTL eviction and
// a change index that long-polling watchers block on (like Consul's X-Consul-Index).

import type { Clock, ServiceInstance } from '@souk/chassis';

export type { Clock };

/** Timer functions the store waits with; tests pass fake ones so nothing sleeps. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const DEFAULT_TTL_MS = 10_000;
export const DEFAULT_ZONE = 'local';
export const DEFAULT_WEIGHT = 100;

/** What a client sends to register; optional fields take the defaults above. */
export interface Registration {
  service: string;
  instanceId: string;
  url: string;
  version: string;
  zone?: string;
  weight?: number;
  metadata?: Record<string, string>;
}

/** An instance as the API lists it: what discovery clients read, plus its lease times. */
export interface ListedInstance extends ServiceInstance {
  registeredAt: string;
  lastHeartbeatAt: string;
}

/** An instance the sweep removed, with how long it had been silent. */
export interface EvictedInstance {
  instanceId: string;
  service: string;
  silentMs: number;
}

interface Entry extends Omit<ServiceInstance, 'metadata'> {
  metadata: Readonly<Record<string, string>>;
  registeredAt: number;
  lastHeartbeatAt: number;
}

export interface RegistryStoreOptions {
  clock: Clock;
  ttlMs?: number;
  timers?: Timers;
}

export type RegistryStore = ReturnType<typeof createRegistryStore>;

/**
 * Creates an empty store. The index starts at the clock's current time rather
 * than 1: a registry that restarted then shows an index above anything its
 * previous incarnation handed out, so watchers that still hold an old index get
 * the rebuilt list at once instead of waiting out their poll.
 */
export function createRegistryStore(options: RegistryStoreOptions) {
  const { clock } = options;
  const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
  const timers: Timers = options.timers ?? {
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  };
  const entries = new Map<string, Entry>();
  const waiters = new Set<() => void>();
  let index = Math.max(1, Math.floor(clock.now()));

  function bump(): void {
    index += 1;
    for (const wake of [...waiters]) wake();
  }

  function list(entry: Entry): ListedInstance {
    return {
      instanceId: entry.instanceId,
      service: entry.service,
      url: entry.url,
      version: entry.version,
      zone: entry.zone,
      weight: entry.weight,
      metadata: { ...entry.metadata },
      registeredAt: new Date(entry.registeredAt).toISOString(),
      lastHeartbeatAt: new Date(entry.lastHeartbeatAt).toISOString(),
    };
  }

  return {
    ttlMs,

    /** The current change index; it only ever grows. */
    index(): number {
      return index;
    },

    /**
     * Adds an instance, or replaces the one with the same instanceId. Returns
     * whether the listed data changed: re-sending identical data only counts as
     * a heartbeat, so clients that re-register defensively wake no watcher.
     */
    register(reg: Registration): boolean {
      const now = clock.now();
      const next: Entry = {
        service: reg.service,
        instanceId: reg.instanceId,
        url: reg.url,
        version: reg.version,
        zone: reg.zone ?? DEFAULT_ZONE,
        weight: reg.weight ?? DEFAULT_WEIGHT,
        metadata: Object.freeze({ ...(reg.metadata ?? {}) }),
        registeredAt: now,
        lastHeartbeatAt: now,
      };
      const previous = entries.get(reg.instanceId);
      if (previous && sameData(previous, next)) {
        previous.lastHeartbeatAt = now;
        return false;
      }
      entries.set(reg.instanceId, next);
      bump();
      return true;
    },

    /** Records a heartbeat; false when the instance is unknown (never registered or evicted). */
    heartbeat(instanceId: string): boolean {
      const entry = entries.get(instanceId);
      if (!entry) return false;
      entry.lastHeartbeatAt = clock.now();
      return true;
    },

    /** Removes an instance; false when it was not there. */
    deregister(instanceId: string): boolean {
      if (!entries.delete(instanceId)) return false;
      bump();
      return true;
    },

    /** The registered service of an instance, if known. */
    serviceOf(instanceId: string): string | undefined {
      return entries.get(instanceId)?.service;
    },

    /** Instances of one service, ordered by instanceId (stable output for diffing clients). */
    instances(service: string): ListedInstance[] {
      return [...entries.values()]
        .filter((e) => e.service === service)
        .sort(byInstanceId)
        .map(list);
    },

    /** Every instance grouped by service; services with no instance are absent. */
    services(): Record<string, ListedInstance[]> {
      const grouped: Record<string, ListedInstance[]> = {};
      for (const entry of [...entries.values()].sort(byInstanceId)) {
        (grouped[entry.service] ??= []).push(list(entry));
      }
      return grouped;
    },

    /** Instance counts per service, for the gauge. */
    counts(): Map<string, number> {
      const counts = new Map<string, number>();
      for (const entry of entries.values()) counts.set(entry.service, (counts.get(entry.service) ?? 0) + 1);
      return counts;
    },

    /**
     * Removes every instance whose last heartbeat is at least the TTL ago.
     * One index bump covers the whole sweep: watchers see one change.
     */
    evictExpired(): EvictedInstance[] {
      const now = clock.now();
      const evicted: EvictedInstance[] = [];
      for (const entry of entries.values()) {
        const silentMs = now - entry.lastHeartbeatAt;
        if (silentMs >= ttlMs) evicted.push({ instanceId: entry.instanceId, service: entry.service, silentMs });
      }
      for (const e of evicted) entries.delete(e.instanceId);
      if (evicted.length > 0) bump();
      return evicted;
    },

    /**
     * Resolves with the index once it differs from `afterIndex` (at once when it
     * already does), after `timeoutMs`, or when `signal` aborts — whichever comes
     * first. An index above ours comes from a previous incarnation of the
     * registry, so it is answered at once too.
     */
    waitForChange(afterIndex: number, timeoutMs: number, signal?: AbortSignal): Promise<number> {
      if (index !== afterIndex || signal?.aborted) return Promise.resolve(index);
      return new Promise((resolve) => {
        const done = (): void => {
          waiters.delete(done);
          timers.clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve(index);
        };
        const timer = timers.setTimeout(done, timeoutMs);
        waiters.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    },

    /** How many long-polls are waiting; lets tests and shutdown see them. */
    waiting(): number {
      return waiters.size;
    },
  };
}

function byInstanceId(a: Entry, b: Entry): number {
  return a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0;
}

function sameData(a: Entry, b: Entry): boolean {
  if (a.service !== b.service || a.url !== b.url || a.version !== b.version) return false;
  if (a.zone !== b.zone || a.weight !== b.weight) return false;
  const ka = Object.keys(a.metadata);
  const kb = Object.keys(b.metadata);
  return ka.length === kb.length && ka.every((k) => a.metadata[k] === b.metadata[k]);
}
