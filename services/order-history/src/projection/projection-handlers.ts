// The projection's subscriptions: every event of orders, payments, inventory
// and shipping that says something about an order is merged into the order's
// row, and the producer's progress moves, in the event's inbox transaction.

import type { EventContract, ServiceContext } from '@souk/chassis';
import { StockCommitted, StockReleased, StockReserved, StockReturned } from '@souk/inventory/contract';
import { OrderCancelled, OrderConfirmed, OrderPlaced } from '@souk/orders/contract';
import { PaymentAuthorized, PaymentCaptured, PaymentFailed, PaymentRefunded, PaymentVoided } from '@souk/payments/contract';
import { OrderShipped, ShipmentFailed } from '@souk/shipping/contract';
import { sql } from 'kysely';
import type { OrderHistoryDatabase, OrderHistoryDb } from '../db.ts';
import type { OrderEvent, OrderEventType } from './order-facts.ts';
import { mergeEvent } from './view-store.ts';

/** The contracts the read model is built from (all of them are about one order: each has `orderId`). */
export const CONTRACTS = [
  OrderPlaced,
  OrderConfirmed,
  OrderCancelled,
  PaymentAuthorized,
  PaymentFailed,
  PaymentCaptured,
  PaymentVoided,
  PaymentRefunded,
  StockReserved,
  StockReleased,
  StockCommitted,
  StockReturned,
  OrderShipped,
  ShipmentFailed,
] as const;

export function subscribeProjection(ctx: ServiceContext<unknown, OrderHistoryDb>): void {
  for (const contract of CONTRACTS as readonly EventContract[]) {
    const type = contract.name as OrderEventType;
    ctx.events.subscribe(contract, async (event, { db }) => {
      await mergeEvent(db, { type, time: event.time, data: event.data } as OrderEvent, new Date(ctx.clock.now()));
      const position = Number(event.envelope.sequence);
      await recordProgress(db, contract.source, event.time, Number.isSafeInteger(position) ? position : null);
    });
  }
}

/**
 * Counts the event for its producer. During a rebuild, the count reaching what the old model had
 * (target) marks that producer caught up; one row per producer, written only by the one reader of
 * that producer's stream, so it is not contended.
 */
async function recordProgress(
  db: OrderHistoryDatabase,
  producer: string,
  eventTime: string,
  position: number | null,
): Promise<void> {
  await sql`
    insert into projection_progress as p (producer, events_handled, last_event_at, last_position, updated_at)
    values (${producer}, 1, ${eventTime}::timestamptz, ${position}, clock_timestamp())
    on conflict (producer) do update set
      events_handled = p.events_handled + 1,
      last_event_at = greatest(p.last_event_at, excluded.last_event_at),
      last_position = greatest(p.last_position, excluded.last_position),
      caught_up_at = case when p.caught_up_at is null and p.target is not null and p.events_handled + 1 >= p.target
                          then clock_timestamp() else p.caught_up_at end,
      updated_at = clock_timestamp()`.execute(db);
}
