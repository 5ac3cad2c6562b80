// The last phases of a start and the first of a stop: listening, registering
// with the registry, and draining (callers first stop choosing the instance,
// then in-flight requests finish before anything else is released).

import type { RequestListener } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { CommonConfig } from '../config.ts';
import { RELEASE_METADATA, type Discovery } from '../discovery/index.ts';
import { createAdminServer } from '../server/admin-server.ts';
import type { App } from '../server/app.ts';
import type { Basics } from './basics.ts';
import { isRegistryClient } from './connections.ts';
import type { ResourceStack } from './resource-stack.ts';
import type { ServiceTls } from '../tls/service-tls.ts';

/**
 * Listens and returns the instance's URL. Its release drains: refusing new requests (`onClosing`),
 * then waiting for those in flight, up to SHUTDOWN_TIMEOUT_MS.
 */
export async function listen(
  basics: Basics<unknown>,
  app: App,
  closeApp: () => Promise<void>,
  onClosing: () => void,
  stack: ResourceStack,
  secure: boolean,
): Promise<string> {
  const config: CommonConfig = basics.config;
  await app.listen({ host: config.HOST, port: config.PORT });
  // Every connection, for the drain: Node's closeIdleConnections() leaves alone one that never carried a
  // request (a client's spare pooled socket), which then held a stop open until the headers timeout (60 s).
  // Over TLS the HTTP exchange lives on the TLS socket ('secureConnection'), not on the TCP one under it.
  const sockets = new Set<Socket>();
  app.server.on(secure ? 'secureConnection' : 'connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const closeUnused = () => {
    app.server.closeIdleConnections();
    for (const socket of sockets) if (!(socket as { _httpMessage?: unknown })._httpMessage) socket.destroy();
  };
  stack.defer('in-flight requests', async () => {
    onClosing();
    // close() only ends connections idle at that moment; a keep-alive connection whose
    // request finishes later would hold the drain open until the forced close.
    const idleSweep = setInterval(closeUnused, 100);
    const forced = setTimeout(() => app.server.closeAllConnections(), config.SHUTDOWN_TIMEOUT_MS);
    forced.unref();
    try {
      await closeApp();
    } finally {
      clearInterval(idleSweep);
      clearTimeout(forced);
    }
  });
  const port = (app.server.address() as AddressInfo).port;
  return config.PUBLIC_URL ?? `${secure ? 'https' : 'http'}://${config.HOST}:${port}`;
}

/**
 * Opens the admin listener (ADMIN_HOST:ADMIN_PORT) and returns its URL: https: with the instance's
 * certificate (mutual TLS, the gateway's too), http: without. Its release closes it, after the public
 * server drained (it is deferred first), so metrics are scraped to the end.
 */
export async function listenAdmin(
  basics: Basics<unknown>,
  handler: RequestListener,
  tls: ServiceTls | undefined,
  stack: ResourceStack,
): Promise<string> {
  const config: CommonConfig = basics.config;
  const callers = new Set(config.ADMIN_CALLERS.split(','));
  const scrapers = new Set(config.METRICS_CALLERS.split(',').filter(Boolean));
  const server = createAdminServer(handler, tls ? { tls, callers, scrapers } : undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.ADMIN_PORT, config.ADMIN_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  stack.defer('the admin listener', async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  });
  const port = (server.address() as AddressInfo).port;
  return `${tls ? 'https' : 'http'}://${config.ADMIN_HOST}:${port}`;
}

/** With a registry: registers the instance; its release deregisters (while the server still serves). */
export async function register(
  basics: Basics<unknown>,
  discovery: Discovery,
  urls: { url: string; adminUrl: string },
  stack: ResourceStack,
): Promise<void> {
  if (!isRegistryClient(discovery)) return;
  const config: CommonConfig = basics.config;
  await discovery.register({
    service: basics.name,
    instanceId: basics.instanceId,
    url: urls.url,
    version: basics.version,
    zone: config.SERVICE_ZONE,
    weight: config.SERVICE_WEIGHT,
    // Where tools find /metrics and /_admin/* of this instance.
    metadata: { adminUrl: urls.adminUrl, [RELEASE_METADATA]: config.SERVICE_RELEASE },
  });
  stack.defer('the registration', () =>
    discovery.deregister().catch((err: unknown) => basics.log.warn({ err }, 'deregistration failed')),
  );
}
