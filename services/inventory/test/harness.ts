// Shared set-up of inventory's integration tests: a throwaway database, a
// running instance with a settable clock, a token issuer with the callers
// inventory sees (a service granted inventory's capabilities, an admin, a
// customer), and readers of the outbox and the stock rows.

import { eventsReadScope, startService, type Capability, type RunningServiceOf } from '@souk/chassis';
import { createTestDatabase, sharedTestIssuer, type TestDatabase, type TestIssuer } from '@souk/chassis/testing';
import { sql } from 'kysely';
import type { InventoryDatabase } from '../src/db.ts';
import { inventoryService } from '../src/service.ts';

export const API = '/api/v1/inventory';

/** Every capability inventory's routes know (a route needs exactly one of them). */
export const INVENTORY_CAPABILITIES: readonly Capability[] = [
  'inventory:reserve',
  'inventory:release',
  'inventory:commit',
  'inventory:reservations:read',
  'inventory:levels:write',
];

/** What inventory's own client is granted: the feeds it consumes. */
export const INVENTORY_FEEDS = ['catalog', 'orders', 'shipping'].map(eventsReadScope);

/** A clock tests move by hand; starts at the real time. */
export interface FakeClock {
  now(): number;
  advance(ms: number): void;
}

export function fakeClock(start = Date.now()): FakeClock {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

export interface Harness {
  svc: RunningServiceOf<typeof inventoryService>;
  db: InventoryDatabase;
  database: TestDatabase;
  issuer: TestIssuer;
  clock: FakeClock;
  /** A service token granted every inventory capability. */
  serviceToken: string;
  adminToken: string;
  customerToken: string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  /** Producers to read events from: name → base URL. */
  services?: Record<string, string>;
  /** Real time instead of a hand-moved clock (the breakers use the clock too: tests of retries need it to run). */
  realClock?: boolean;
}

export async function startInventory(label: string, options: HarnessOptions = {}): Promise<Harness> {
  const database = await createTestDatabase(label);
  // Shared: stand-in producers take the consumer's token from it.
  const issuer = await sharedTestIssuer();
  const clock: FakeClock = options.realClock
    ? {
        now: () => Date.now(),
        advance: () => {
          throw new Error('this harness runs on real time');
        },
      }
    : fakeClock();
  const staticServices = Object.entries(options.services ?? {})
    .map(([name, url]) => `${name}=${url}`)
    .join(';');
  let svc: RunningServiceOf<typeof inventoryService>;
  try {
    svc = await startService(inventoryService, {
      clock,
      env: {
        DATABASE_URL: database.url,
        LOG_LEVEL: 'silent',
        INVENTORY_EXPIRY_SWEEP_MS: '50',
        EVENTS_FEED_WAIT_MS: '1000',
        EVENTS_POLL_INTERVAL_MS: '50',
        EVENTS_RETRY_BASE_MS: '50',
        EVENTS_RETRY_CAP_MS: '200',
        ...(staticServices ? { STATIC_SERVICES: staticServices } : {}),
        ...options.env,
      },
      serviceToken: issuer.serviceToken('svc-inventory', INVENTORY_FEEDS),
    });
  } catch (err) {
    await database.drop();
    throw err;
  }
  svc.ctx.auth.setKeySource(issuer.keySource);
  return {
    svc,
    db: svc.ctx.db,
    database,
    issuer,
    clock,
    serviceToken: await issuer.token({ sub: 'svc-orders', roles: [], scopes: [...INVENTORY_CAPABILITIES] }),
    adminToken: await issuer.token({ roles: ['admin'] }),
    customerToken: await issuer.token(),
    async close() {
      await svc.stop();
      await database.drop();
    },
  };
}

export interface Envelope {
  id: string;
  type: string;
  subject?: string;
  data: Record<string, any>;
}

/** Events inventory wrote to its outbox, oldest first; only `type` (short name, e.g. StockLow) when given. */
export async function outbox(h: Harness, type?: string): Promise<Envelope[]> {
  const filter = type === undefined ? sql`` : sql`where type = ${`souk.inventory.${type}`}`;
  const { rows } = await sql<{ envelope: Envelope }>`select envelope from souk_outbox ${filter} order by seq`.execute(h.db);
  return rows.map((r) => r.envelope);
}

/** The raw row of a level, straight from the table. */
export async function levelRow(h: Harness, productId: string) {
  return h.db.selectFrom('stock_levels').selectAll().where('product_id', '=', productId).executeTakeFirst();
}

export { call, assertProblem, waitFor, type Answer } from '@souk/chassis/testing';
