// Shared set-up of the order-history integration tests: four stand-in
// producers (orders, payments, inventory, shipping: real chassis services
// with an outbox and a feed, publishing the real contracts), an order-history
// instance reading their feeds, a token issuer, and helpers.

import { randomUUID } from 'node:crypto';
import {
  defineService,
  eventsReadScope,
  startService,
  type EventContract,
  type RunningService,
  type RunningServiceOf,
} from '@souk/chassis';
import { createTestDatabase, createTestIssuer, waitFor, type TestDatabase, type TestIssuer } from '@souk/chassis/testing';
import { sql } from 'kysely';
import { orderHistoryService } from '../src/service.ts';
import type { OrderEvent } from '../src/projection/order-facts.ts';
import { CONTRACTS } from '../src/projection/projection-handlers.ts';

export const API = '/api/v1/order-history';

export interface Harness {
  svc: RunningServiceOf<typeof orderHistoryService>;
  /** order-history's database, for a test's own connection beside the service's pool. */
  databaseUrl: string;
  issuer: TestIssuer;
  /** Publishes the event from its producer, in a transaction of its own, with the event's time. */
  publish(event: OrderEvent): Promise<void>;
  /** Waits until order-history has handled every event published so far. */
  caughtUp(): Promise<void>;
  tokenFor(userId: string, roles?: string[]): Promise<string>;
  adminToken(): Promise<string>;
  close(): Promise<void>;
}

const byProducer = new Map<string, EventContract[]>();
for (const contract of CONTRACTS as readonly EventContract[])
  byProducer.set(contract.source, [...(byProducer.get(contract.source) ?? []), contract]);

/** A producer that publishes the given contracts and does nothing else. */
function standIn(name: string, contracts: EventContract[]) {
  return defineService({
    name,
    version: '0.0.0-test',
    migrations: { '001_nothing': { async up() {} } },
    events: { publishes: contracts },
    setup() {},
  });
}

export async function startHistory(label: string, env: Record<string, string> = {}): Promise<Harness> {
  const databases: TestDatabase[] = [];
  const producers = new Map<string, RunningService>();
  const published = new Map<string, number>();
  const issuer = await createTestIssuer();
  let svc: RunningServiceOf<typeof orderHistoryService> | undefined;
  const common = { LOG_LEVEL: 'silent', EVENTS_FEED_WAIT_MS: '1000', EVENTS_LEASE_MS: '3000', ...env };
  const close = async () => {
    // Producers first: they answer order-history's held polls as they drain.
    await Promise.allSettled([...producers.values()].map((p) => p.stop()));
    await svc?.stop().catch(() => undefined);
    await Promise.allSettled(databases.map((d) => d.drop()));
  };
  try {
    for (const [name, contracts] of byProducer) {
      const database = await createTestDatabase(`oh_${label}_${name}`);
      databases.push(database);
      const producer = await startService(standIn(name, contracts), { env: { ...common, DATABASE_URL: database.url } });
      producer.ctx.auth.setKeySource(issuer.keySource);
      producers.set(name, producer);
    }
    const database = await createTestDatabase(`oh_${label}`);
    databases.push(database);
    const STATIC_SERVICES = [...producers].map(([name, p]) => `${name}=${p.url}`).join(';');
    svc = await startService(orderHistoryService, {
      env: { ...common, DATABASE_URL: database.url, STATIC_SERVICES },
      // order-history reads every producer's feed with its own token.
      serviceToken: issuer.serviceToken('svc-order-history', [...producers.keys()].map(eventsReadScope)),
    });
    svc.ctx.auth.setKeySource(issuer.keySource);
  } catch (err) {
    await close();
    throw err;
  }
  const history = svc;
  return {
    svc: history,
    databaseUrl: databases.at(-1)!.url,
    issuer,
    async publish(event) {
      const contract = (CONTRACTS as readonly EventContract[]).find((c) => c.name === event.type)!;
      const producer = producers.get(contract.source)!;
      await producer.ctx.db.transaction().execute((trx) =>
        producer.ctx.events.publish(trx, contract, event.data as never, {
          subject: event.data.orderId,
          time: new Date(event.time),
          id: randomUUID(),
        }),
      );
      published.set(contract.source, (published.get(contract.source) ?? 0) + 1);
    },
    async caughtUp() {
      await waitFor(
        async () => {
          const { rows } = await sql<{
            producer: string;
            n: number;
          }>`select producer, events_handled as n from projection_progress`.execute(history.ctx.db);
          return [...published].every(([producer, n]) => rows.find((r) => r.producer === producer)?.n === n);
        },
        { what: 'order-history to handle every published event', timeoutMs: 30_000 },
      );
    },
    tokenFor: (userId, roles = ['customer']) => issuer.token({ sub: userId, roles }),
    adminToken: () => issuer.token({ sub: randomUUID(), roles: ['admin'] }),
    close,
  };
}

export { call, assertProblem, type Answer } from '@souk/chassis/testing';
