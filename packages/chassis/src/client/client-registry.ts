// One cached client per called service, sharing the process's breakers, and
// the resilience snapshot /_admin/resilience serves.

import type { Tracer } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import type { CachedServiceToken } from '../auth/service-token.ts';
import type { Discovery, Log } from '../discovery/types.ts';
import { createBreakers, type BreakerSnapshot, type Breakers, type BreakersOptions } from './breakers.ts';
import { createServiceClient, type ClientTuning, type ResilientServiceClient } from './service-client.ts';
import type { BulkheadSnapshot, ClientOptions } from './types.ts';
import type { ServiceTls } from '../tls/service-tls.ts';

export interface ClientRegistryOptions {
  discovery: Discovery;
  log: Log;
  metrics?: Registry;
  /** Share with the gateway to see every breaker in one snapshot; created here when absent. */
  breakers?: Breakers;
  /** Used only when `breakers` is not given. */
  breakerOptions?: Omit<BreakersOptions, 'log' | 'metrics'>;
  /** Defaults for every client. */
  options?: ClientOptions;
  /** Overrides by called service name, on top of `options`. */
  perService?: Record<string, ClientOptions>;
  tracer?: Tracer;
  /** The service's own token, for calls with `auth: 'service'`. */
  serviceToken?: CachedServiceToken;
  /** The instance's certificate, for mutual TLS to `https:` instances. */
  tls?: ServiceTls;
}

export interface ResilienceSnapshot {
  breakers: BreakerSnapshot[];
  bulkheads: BulkheadSnapshot[];
}

export interface ClientRegistry {
  /** The client for `service`, created on first use and cached. */
  get(service: string): ResilientServiceClient;
  readonly breakers: Breakers;
  /** Breaker states and bulkhead occupancy, for /_admin/resilience and the console. */
  resilienceSnapshot(): ResilienceSnapshot;
  /** Live settings for every client, the ones made later included: all services, then per called service. */
  tune(all: ClientTuning, perService?: Readonly<Record<string, ClientTuning>>): void;
  /** Closes every client's connection pools. */
  close(): Promise<void>;
}

export function createClientRegistry(options: ClientRegistryOptions): ClientRegistry {
  const breakers =
    options.breakers ??
    createBreakers({ ...options.breakerOptions, log: options.log, ...(options.metrics ? { metrics: options.metrics } : {}) });
  const clients = new Map<string, ResilientServiceClient>();
  let closed = false;
  let tuning: { all: ClientTuning; perService: Readonly<Record<string, ClientTuning>> } = { all: {}, perService: {} };
  const tuningOf = (service: string): ClientTuning => ({ ...tuning.all, ...tuning.perService[service] });

  return {
    breakers,

    get(service) {
      if (closed) throw new Error(`get(${service}) called after the client registry was closed`);
      let client = clients.get(service);
      if (!client) {
        client = createServiceClient({
          service,
          discovery: options.discovery,
          breakers,
          log: options.log,
          options: { ...options.options, ...options.perService?.[service] },
          ...(options.metrics ? { metrics: options.metrics } : {}),
          ...(options.tracer ? { tracer: options.tracer } : {}),
          ...(options.serviceToken ? { serviceToken: options.serviceToken } : {}),
          ...(options.tls ? { tls: options.tls } : {}),
        });
        client.tune(tuningOf(service));
        clients.set(service, client);
      }
      return client;
    },

    tune(all, perService = {}) {
      tuning = { all, perService };
      for (const [service, client] of clients) client.tune(tuningOf(service));
    },

    resilienceSnapshot() {
      return {
        breakers: breakers.snapshot(),
        bulkheads: [...clients.values()].map((c) => c.bulkheadSnapshot()),
      };
    },

    async close() {
      closed = true;
      const all = [...clients.values()];
      clients.clear();
      await Promise.all(all.map((c) => c.close()));
    },
  };
}
