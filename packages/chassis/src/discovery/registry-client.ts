// Discovery through the souk registry (platform/registry): follows the service
// lists with a long-poll watch and keeps this instance registered.

import { createRegistryHttp, type FetchFn } from './registry-http.ts';
import { RegistrationLoop, type SelfRegistration } from './registration.ts';
import { listsSignature, runWatchLoop, type ServiceLists } from './registry-watch.ts';
import { systemClock, type Clock, type Discovery, type Log, type ServiceInstance } from './types.ts';

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 3000;
export const DEFAULT_WATCH_WAIT_SECONDS = 30;
export const DEFAULT_READY_TIMEOUT_MS = 10_000;
export const DEFAULT_REGISTRY_REQUEST_TIMEOUT_MS = 2000;
export const DEFAULT_REGISTRY_RETRY = { baseMs: 250, capMs: 5000 };

export interface RegistryClientOptions {
  /** Base URL of the registry, e.g. `http://127.0.0.1:8761`. */
  registryUrl: string;
  log: Log;
  clock?: Clock;
  /** Time between heartbeats. */
  heartbeatIntervalMs?: number;
  /** How long the registry may hold a watch before answering "no change". */
  watchWaitSeconds?: number;
  /** How long `ready()` waits for the first list before rejecting. */
  readyTimeoutMs?: number;
  /** Deadline for each register, heartbeat, list and deregister call (a watch gets this on top of its wait). */
  requestTimeoutMs?: number;
  /** Backoff between retries while the registry is unreachable (full jitter). */
  retry?: { baseMs?: number; capMs?: number };
  fetch?: FetchFn;
  /** Uniform in [0, 1), for the retry jitter. */
  random?: () => number;
}

/** Discovery backed by the registry, which can also register this instance. */
export interface RegistryClient extends Discovery {
  /**
   * Registers this instance and heartbeats until `deregister()` or `close()`.
   * Resolves after the first attempt whether or not it succeeded: a registry
   * that is down must not keep a service from starting, and the loop keeps
   * trying in the background.
   */
  register(self: SelfRegistration): Promise<void>;
  /** Stops the heartbeats and removes this instance from the registry (best effort, never throws). */
  deregister(): Promise<void>;
  /** Whether the registry accepted the last registration or heartbeat. */
  isRegistered(): boolean;
}

const EMPTY: readonly ServiceInstance[] = Object.freeze([]);

/**
 * Starts watching the registry at once. `close()` also deregisters when
 * `register()` was called and `deregister()` was not, so that callers stop
 * being sent here before the TTL would evict this instance.
 */
export function createRegistryClient(options: RegistryClientOptions): RegistryClient {
  const { registryUrl, log } = options;
  const clock = options.clock ?? systemClock;
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REGISTRY_REQUEST_TIMEOUT_MS;
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const retry = {
    baseMs: options.retry?.baseMs ?? DEFAULT_REGISTRY_RETRY.baseMs,
    capMs: options.retry?.capMs ?? DEFAULT_REGISTRY_RETRY.capMs,
    ...(options.random ? { random: options.random } : {}),
  };
  const http = createRegistryHttp(registryUrl, options.fetch ?? globalThis.fetch);

  let lists: ServiceLists = new Map();
  let signature = listsSignature(lists);
  const listeners = new Set<() => void>();
  let loaded = false;
  let closed = false;
  let settleFirst!: (err?: Error) => void;
  const firstList = new Promise<void>((resolve, reject) => {
    settleFirst = (err) => (err ? reject(err) : resolve());
  });
  // Nobody may be waiting on ready() when close() rejects this.
  firstList.catch(() => undefined);

  function receive(next: ServiceLists): void {
    const nextSignature = listsSignature(next);
    const changed = nextSignature !== signature;
    if (changed) {
      lists = next;
      signature = nextSignature;
    }
    if (!loaded) {
      loaded = true;
      settleFirst();
    }
    if (!changed) return;
    for (const listener of [...listeners]) {
      try {
        listener();
      } catch (err) {
        log.error({ err }, 'a discovery change listener threw');
      }
    }
  }

  const closer = new AbortController();
  const watchDone = runWatchLoop(
    {
      http,
      log,
      clock,
      registryUrl,
      waitSeconds: options.watchWaitSeconds ?? DEFAULT_WATCH_WAIT_SECONDS,
      requestTimeoutMs,
      retry,
      onList: receive,
    },
    closer.signal,
  );

  let registration: RegistrationLoop | undefined;

  async function deregister(): Promise<void> {
    const loop = registration;
    registration = undefined;
    if (!loop) return;
    await loop.stop();
    const path = `/api/v1/instances/${encodeURIComponent(loop.self.instanceId)}`;
    try {
      const res = await http.call('DELETE', path, { timeoutMs: requestTimeoutMs, signal: new AbortController().signal });
      if (res.status >= 300 && res.status !== 404) throw new Error(`deregistration answered ${res.status}`);
      log.info({ instanceId: loop.self.instanceId }, 'deregistered from the registry');
    } catch (err) {
      // Shutdown goes on: the registry evicts this instance after its TTL anyway.
      log.warn(
        { instanceId: loop.self.instanceId, reason: (err as Error).message },
        'could not deregister; the registry will evict this instance after its TTL',
      );
    }
  }

  return {
    instances: (service) => lists.get(service) ?? EMPTY,
    services: () => [...lists.keys()].sort(),

    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    ready() {
      if (loaded) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(
            new Error(
              `discovery not ready: no service list from the registry at ${registryUrl} within ${readyTimeoutMs} ms (is REGISTRY_URL right and the registry running?)`,
            ),
          );
        }, readyTimeoutMs);
        firstList.then(
          () => {
            clearTimeout(timer);
            resolve();
          },
          (err: unknown) => {
            clearTimeout(timer);
            reject(err);
          },
        );
      });
    },

    async register(self) {
      if (closed) throw new Error('register() called on a closed registry client');
      const previous = registration;
      if (previous) {
        if (previous.self.instanceId !== self.instanceId) await deregister();
        else {
          registration = undefined;
          await previous.stop();
        }
      }
      const loop = new RegistrationLoop(self, {
        http,
        log,
        clock,
        registryUrl,
        intervalMs: options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
        requestTimeoutMs,
        retry,
      });
      registration = loop;
      await loop.firstAttempt;
    },

    deregister,

    isRegistered: () => registration?.isRegistered ?? false,

    async close() {
      if (closed) return;
      closed = true;
      closer.abort();
      await Promise.all([deregister(), watchDone]);
      listeners.clear();
      if (!loaded) settleFirst(new Error('discovery closed before the first service list arrived'));
    },
  };
}
