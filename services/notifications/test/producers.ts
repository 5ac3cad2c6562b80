// Stand-ins for the orders and shipping services in the order-message tests:
// chassis services with the real event contracts that publish through their
// outbox on request, so notifications reads real feeds without a checkout.

import { defineService, startService, type EventContract, type RunningService } from '@souk/chassis';
import { createTestDatabase, type TestDatabase } from '@souk/chassis/testing';
import { OrderCancelled, OrderConfirmed } from '@souk/orders/contract';
import { OrderShipped } from '@souk/shipping/contract';
import { sql } from 'kysely';
import type { Static, TObject } from 'typebox';

export interface Producer {
  svc: RunningService;
  /** Publishes one event (its own transaction), as the real service would with its state change. */
  publish<S extends TObject>(contract: EventContract<S>, data: Static<S>, subject: string): Promise<void>;
  /** The last feed position, once every published event has one (the relay ran); undefined before. */
  head(): Promise<number | undefined>;
  close(): Promise<void>;
}

async function startProducer(name: string, publishes: EventContract<TObject>[]): Promise<Producer> {
  const database: TestDatabase = await createTestDatabase(`notifications_${name}`);
  // No tables of its own: the chassis adds the outbox.
  const definition = defineService({ name, version: '0.0.1', migrations: {}, events: { publishes }, setup() {} });
  const svc = await startService(definition, { env: { DATABASE_URL: database.url, LOG_LEVEL: 'silent' } });
  return {
    svc,
    async publish(contract, data, subject) {
      await svc.ctx.db.transaction().execute((trx) => svc.ctx.events.publish(trx, contract, data, { subject }));
    },
    async head() {
      const { rows } = await sql<{ head: string | null; waiting: string }>`
        select max(position) as head, count(*) filter (where position is null) as waiting from souk_outbox`.execute(svc.ctx.db);
      return Number(rows[0]?.waiting) > 0 ? undefined : Number(rows[0]?.head ?? 0);
    },
    async close() {
      await svc.stop();
      await database.drop();
    },
  };
}

export const startOrders = () => startProducer('orders', [OrderConfirmed, OrderCancelled] as EventContract<TObject>[]);
export const startShipping = () => startProducer('shipping', [OrderShipped] as EventContract<TObject>[]);
