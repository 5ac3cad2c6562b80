// The projection's subscriptions: every event of orders, payments, inventory
// and shipping that says something about an order is merged into the order's
// row, and the producer's progress moves, in the events' inbox transaction:
// once per page of events (the handlers collect, one write before the commit).

import type { EventContract, ServiceContext } from '@souk/chassis';
import { StockCommitted, StockReleased, StockReserved, StockReturned } from '@souk/inventory/contract';
import { OrderCancelled, OrderConfirmed, OrderPlaced } from '@souk/orders/contract';
import { PaymentAuthorized, PaymentCaptured, PaymentFailed, PaymentRefunded, PaymentVoided } from '@souk/payments/contract';
import { OrderShipped, ShipmentFailed } from '@souk/shipping/contract';
import { sql, type RawBuilder } from 'kysely';
import type { OrderHistoryDatabase, OrderHistoryDb } from '../db.ts';
import type { OrderEvent, OrderEventType } from './order-facts.ts';
import { mergeEvents } from './view-store.ts';

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

/** What the handlers of one transaction (a page of a producer's events) leave to write once, before it commits. */
interface PendingProjection {
  events: OrderEvent[];
  progress: Map<string, { handled: number; lastEventAt: string; lastPosition: number | null }>;
}

export function subscribeProjection(ctx: ServiceContext<unknown, OrderHistoryDb>): void {
  const write = async (pending: PendingProjection, db: OrderHistoryDatabase) => {
    // The producers' progress rides on the statement that locks the page's orders.
    await mergeEvents(db, pending.events, new Date(ctx.clock.now()), progressWrite(pending.progress));
  };
  for (const contract of CONTRACTS as readonly EventContract[]) {
    const type = contract.name as OrderEventType;
    ctx.events.subscribe(contract, async (event, tx) => {
      const pending = tx.shared<PendingProjection>(
        'order-history:projection',
        () => ({ events: [], progress: new Map() }),
        write,
      );
      pending.events.push({ type, time: event.time, data: event.data } as OrderEvent);
      const position = Number(event.envelope.sequence);
      const p = pending.progress.get(contract.source) ?? { handled: 0, lastEventAt: event.time, lastPosition: null };
      p.handled += 1;
      if (Date.parse(event.time) > Date.parse(p.lastEventAt)) p.lastEventAt = event.time;
      if (Number.isSafeInteger(position)) p.lastPosition = Math.max(p.lastPosition ?? position, position);
      pending.progress.set(contract.source, p);
    });
  }
}

/**
 * Counts the events for their producers. During a rebuild, the count reaching what the old model had
 * (target) marks that producer caught up; one row per producer, written only by the one reader of
 * that producer's stream, so it is not contended.
 */
function progressWrite(progress: PendingProjection['progress']): RawBuilder<unknown> | undefined {
  if (progress.size === 0) return undefined;
  const producers = [...progress.keys()];
  const counts = producers.map((p) => progress.get(p)!);
  return sql`
    insert into projection_progress as p (producer, events_handled, last_event_at, last_position, updated_at)
    select producer, handled, last_event_at, last_position, clock_timestamp()
    from unnest(${producers}::text[], ${counts.map((c) => c.handled)}::int[], ${counts.map((c) => c.lastEventAt)}::timestamptz[],
                ${counts.map((c) => c.lastPosition)}::bigint[]) as t(producer, handled, last_event_at, last_position)
    on conflict (producer) do update set
      events_handled = p.events_handled + excluded.events_handled,
      last_event_at = greatest(p.last_event_at, excluded.last_event_at),
      last_position = greatest(p.last_position, excluded.last_position),
      caught_up_at = case when p.caught_up_at is null and p.target is not null
                               and p.events_handled + excluded.events_handled >= p.target
                          then clock_timestamp() else p.caught_up_at end,
      updated_at = clock_timestamp()`;
}
