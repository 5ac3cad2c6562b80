// What one caller may take of the registry: instances per service and in all,
// metadata per instance, and long-polls held open (in all and per remote
// address). Every limit is configured (config.ts); going past one is a coded
// 4xx instead of memory and sockets that grow for whoever asks.

import { registryErrors } from './errors.ts';
import type { Registration } from './registry-store.ts';

export const DEFAULT_MAX_INSTANCES_PER_SERVICE = 64;
export const DEFAULT_MAX_INSTANCES = 1_024;
export const DEFAULT_MAX_METADATA_KEYS = 16;
export const DEFAULT_MAX_METADATA_BYTES = 4_096;
export const DEFAULT_MAX_WATCHERS = 1_024;
// Every instance on a host watches from the same address (the devhost runs ~15-30 on 127.0.0.1).
export const DEFAULT_MAX_WATCHERS_PER_ADDRESS = 256;
/** What a refused watcher is told to wait before it polls again. */
export const WATCH_RETRY_AFTER_SECONDS = 5;

export interface RegistryLimits {
  maxInstancesPerService: number;
  maxInstances: number;
  maxMetadataKeys: number;
  /** UTF-8 bytes of every key and value together. */
  maxMetadataBytes: number;
  maxWatchers: number;
  maxWatchersPerAddress: number;
}

/** Throws SOUK_REGISTRY_METADATA_TOO_LARGE when the labels are more than the limits allow. */
export function checkMetadata(metadata: Registration['metadata'], limits: RegistryLimits): void {
  const entries = Object.entries(metadata ?? {});
  if (entries.length > limits.maxMetadataKeys) {
    throw registryErrors.metadataTooLarge(`metadata has ${entries.length} keys; the limit is ${limits.maxMetadataKeys}`);
  }
  const bytes = entries.reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (bytes > limits.maxMetadataBytes) {
    throw registryErrors.metadataTooLarge(
      `metadata is ${bytes} bytes (keys and values); the limit is ${limits.maxMetadataBytes}`,
    );
  }
}

/**
 * Throws a 429 when an instance new to `service` would exceed a cap. Re-registering an
 * instance already counted under the service is always allowed (restarts, defensive re-sends).
 * Slots free up as instances deregister or miss heartbeats, hence Retry-After = the TTL.
 */
export function checkCapacity(
  reg: Pick<Registration, 'service' | 'instanceId'>,
  state: { serviceOf(id: string): string | undefined; counts(): Map<string, number> },
  limits: RegistryLimits,
  ttlSeconds: number,
): void {
  if (state.serviceOf(reg.instanceId) === reg.service) return;
  const counts = state.counts();
  const headers = { 'retry-after': String(Math.ceil(ttlSeconds)) };
  if ((counts.get(reg.service) ?? 0) >= limits.maxInstancesPerService) {
    throw registryErrors.serviceFull({
      detail: `${reg.service} already has ${limits.maxInstancesPerService} instances, the most one service may register`,
      headers,
    });
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  if (total >= limits.maxInstances) {
    throw registryErrors.registryFull({ detail: `The registry holds ${limits.maxInstances} instances, its limit`, headers });
  }
}

export interface WatcherGate {
  /** Takes a slot for a held watch from `address`; the release function gives it back (once). */
  enter(address: string): () => void;
  /** Watches held now, for the gauge and tests. */
  held(): number;
}

/** Counts held long-polls; refuses one more beyond the caps with SOUK_REGISTRY_TOO_MANY_WATCHERS (429). */
export function createWatcherGate(limits: Pick<RegistryLimits, 'maxWatchers' | 'maxWatchersPerAddress'>): WatcherGate {
  const byAddress = new Map<string, number>();
  let total = 0;
  return {
    enter(address) {
      const mine = byAddress.get(address) ?? 0;
      if (total >= limits.maxWatchers || mine >= limits.maxWatchersPerAddress) {
        const which =
          mine >= limits.maxWatchersPerAddress
            ? `${limits.maxWatchersPerAddress} watches from ${address}`
            : `${limits.maxWatchers} watches`;
        throw registryErrors.tooManyWatchers({
          detail: `The registry already holds ${which}, its limit; poll again later`,
          headers: { 'retry-after': String(WATCH_RETRY_AFTER_SECONDS) },
        });
      }
      total += 1;
      byAddress.set(address, mine + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        total -= 1;
        const left = (byAddress.get(address) ?? 1) - 1;
        if (left === 0) byAddress.delete(address);
        else byAddress.set(address, left);
      };
    },
    held: () => total,
  };
}
