// Outgoing mutual TLS for undici: a `connect` function that presents the instance's current
// certificate and accepts only a server whose certificate names the called service. Plain
// `http:` origins stay plain. After a rotation the next connection is built with the new
// context (and a fresh session cache, so it does a full handshake that shows the new certificate).

import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import type { ServiceTls } from './service-tls.ts';
import { serverIdentityCheck } from './spiffe.ts';

export interface ConnectorOptions {
  /** Time allowed to open a connection, handshake included (undici's default, 10 s, when unset). */
  timeoutMs?: number;
}

/** An undici connector for connections to instances of `service`. */
export function tlsConnector(tls: ServiceTls, service: string, options: ConnectorOptions = {}): buildConnector.connector {
  const checkServerIdentity = serverIdentityCheck(service);
  let generation = -1;
  let connector: buildConnector.connector | undefined;
  return (opts, callback) => {
    if (connector === undefined || generation !== tls.generation) {
      generation = tls.generation;
      connector = buildConnector({
        secureContext: tls.clientContext(),
        checkServerIdentity,
        ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
      });
    }
    return connector(opts, callback);
  };
}

/** A fetch whose `https:` connections carry the instance's certificate and check that `service` answers. */
export function tlsFetch(tls: ServiceTls, service: string): { fetch: typeof fetch; close(): Promise<void> } {
  const dispatcher = new Agent({ connect: tlsConnector(tls, service) });
  const bound = (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher });
  return { fetch: bound, close: () => dispatcher.close() };
}

/**
 * One fetch per called service, made on first use: each checks that the answer comes from that service.
 * Without TLS (`tls` undefined) every service gets the global fetch. For callers of many services'
 * admin listeners (the telemetry scraper, the console).
 */
export function tlsFetches(tls: ServiceTls | undefined): { for(service: string): typeof fetch; close(): Promise<void> } {
  const fetches = new Map<string, ReturnType<typeof tlsFetch>>();
  return {
    for(service) {
      if (!tls) return globalThis.fetch;
      let secured = fetches.get(service);
      if (!secured) fetches.set(service, (secured = tlsFetch(tls, service)));
      return secured.fetch;
    },
    async close() {
      await Promise.all([...fetches.values()].map((f) => f.close()));
      fetches.clear();
    },
  };
}
