// The discovery interfaces of the chassis contract: which instances provide a
// service and where, as seen from inside one process.

import type { Logger } from 'pino';

/** One running instance of a service, as discovery lists it. */
export interface ServiceInstance {
  instanceId: string;
  service: string;
  /** Base URL, e.g. `http://127.0.0.1:4101` (no trailing slash). */
  url: string;
  version: string;
  zone: string;
  /** Relative share of traffic; 0 takes none while another instance can. */
  weight: number;
  metadata: Record<string, string>;
}

/** Where a process learns which instances of other services exist. */
export interface Discovery {
  /** The last known list for `service`; kept while the registry is unreachable. Empty when none. */
  instances(service: string): readonly ServiceInstance[];
  /** Every service that has a list (instances now, or had some), sorted: what a scraper or a map walks. */
  services(): readonly string[];
  /** Calls `listener` whenever any list changes; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
  /** Resolves once the first list has been loaded. */
  ready(): Promise<void>;
  /** Stops background work (watches, heartbeats). */
  close(): Promise<void>;
}

/** Milliseconds since the epoch; tests pass a fake one. */
export interface Clock {
  now(): number;
}

/** The part of a pino logger discovery and the client use; tests may pass any pino instance. */
export type Log = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export const systemClock: Clock = { now: () => Date.now() };
