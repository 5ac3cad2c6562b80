// The event phase of a start: outbox, relay, inbox and consumers over the
// service's database, with the feed and dead-letter routes on its app.

import type { Auth } from '../auth/auth-hooks.ts';
import { eventsReadScope } from '../auth/scopes.ts';
import type { ClientRegistry } from '../client/index.ts';
import type { CommonConfig } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { EventContract } from '../events/contract.ts';
import { createEventLayer, type EventLayer } from '../events/event-layer.ts';
import type { App } from '../server/app.ts';
import type { EventFault } from '../server/faults.ts';
import type { Basics } from './basics.ts';
import type { ResourceStack } from './resource-stack.ts';

/** Undefined without a database. Created now (handlers subscribe in setup); started once the server listens. */
export function createServiceEvents(
  basics: Basics<unknown>,
  deps: {
    database: Database | undefined;
    app: App;
    clients: ClientRegistry;
    auth: Auth;
    publishes: readonly EventContract[];
    schemaIds: ReadonlyMap<string, number>;
    /** The faults setting's failing event types (server/faults.ts). */
    eventFault?: EventFault;
  },
  stack: ResourceStack,
): EventLayer | undefined {
  const { database, app, clients } = deps;
  if (!database) return undefined;
  const config: CommonConfig = basics.config;
  const layer = createEventLayer({
    service: basics.name,
    instanceId: basics.instanceId,
    db: database.db,
    databaseUrl: database.connectionUrl,
    app,
    log: basics.log,
    tracer: basics.tracer,
    metrics: basics.metrics,
    settings: config,
    publishes: deps.publishes,
    schemaIds: deps.schemaIds,
    client: (service) => clients.get(service),
    admin: deps.auth.required({ roles: ['admin'] }),
    feedReader: deps.auth.required({ scopes: [eventsReadScope(basics.name)] }),
    ...(deps.eventFault ? { fault: deps.eventFault } : {}),
  });
  // Consumers finish the event in hand and the relay its run while the database is still there.
  stack.defer('the event layer', () => layer.stop());
  // Held feed polls answer before the server drains, so draining never waits out a long poll.
  app.addHook('preClose', async () => layer.abortPolls());
  return layer;
}
