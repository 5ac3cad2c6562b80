// The read model in PostgreSQL: merging one event into its order's row (inside
// the handler's transaction) and reading rows back as the API shows them.

import type { OrderHistoryItem } from '../../contract.ts';
import type { OrderHistoryDatabase } from '../db.ts';
import { canonical, emptyFacts, evolve, type OrderEvent, type OrderFacts } from './order-facts.ts';
import { project, type OrderView } from './order-view.ts';

/**
 * Merges the event into its order's row: read the facts under a row lock (events of other
 * producers about the same order are handled concurrently), evolve, write the facts and the view
 * derived from them. Returns false when the event added nothing (a redelivery or an echo).
 */
export async function mergeEvent(db: OrderHistoryDatabase, event: OrderEvent, now: Date): Promise<boolean> {
  const orderId = event.data.orderId.toLowerCase();
  for (;;) {
    const row = await db.selectFrom('order_views').select('facts').where('order_id', '=', orderId).forUpdate().executeTakeFirst();
    const facts = evolve(row?.facts ?? emptyFacts(orderId), event);
    if (row && canonical(facts) === canonical(row.facts)) return false;
    const values = toRow(project(facts), facts, now);
    if (row) {
      await db.updateTable('order_views').set(values).where('order_id', '=', orderId).execute();
      return true;
    }
    // Two producers' first events about one order may race to create the row: the loser reads it and merges.
    const inserted = await db
      .insertInto('order_views')
      .values(values)
      .onConflict((oc) => oc.column('order_id').doNothing())
      .returning('order_id')
      .executeTakeFirst();
    if (inserted) return true;
  }
}

function toRow(view: OrderView, facts: OrderFacts, now: Date) {
  return {
    order_id: view.orderId,
    user_id: view.userId,
    status: view.status,
    reason_code: view.reasonCode,
    reason: view.reason,
    items: JSON.stringify(view.items),
    total_cents: view.totalCents,
    currency: view.currency,
    payment: JSON.stringify(view.payment),
    stock: JSON.stringify(view.stock),
    shipping: JSON.stringify(view.shipping),
    placed_at: view.placedAt,
    confirmed_at: view.confirmedAt,
    cancelled_at: view.cancelledAt,
    updated_at: view.updatedAt,
    last_event_at: view.lastEventAt,
    facts: JSON.stringify(facts),
    projected_at: now,
  };
}

/** The columns the API shows (not the facts). */
export const itemColumns = [
  'order_id',
  'status',
  'reason_code',
  'reason',
  'items',
  'total_cents',
  'currency',
  'payment',
  'stock',
  'shipping',
  'placed_at',
  'confirmed_at',
  'cancelled_at',
  'updated_at',
  'last_event_at',
] as const;

export interface ItemRow {
  order_id: string;
  status: string;
  reason_code: string | null;
  reason: string | null;
  items: unknown;
  total_cents: number | null;
  currency: string | null;
  payment: unknown;
  stock: unknown;
  shipping: unknown;
  placed_at: Date;
  confirmed_at: Date | null;
  cancelled_at: Date | null;
  updated_at: Date;
  last_event_at: Date;
}

export function toItem(row: ItemRow): OrderHistoryItem {
  return {
    orderId: row.order_id,
    status: row.status as OrderHistoryItem['status'],
    reasonCode: row.reason_code,
    reason: row.reason,
    items: row.items as OrderHistoryItem['items'],
    totalCents: row.total_cents,
    currency: row.currency,
    payment: row.payment as OrderHistoryItem['payment'],
    stock: row.stock as OrderHistoryItem['stock'],
    shipping: row.shipping as OrderHistoryItem['shipping'],
    placedAt: row.placed_at.toISOString(),
    confirmedAt: row.confirmed_at?.toISOString() ?? null,
    cancelledAt: row.cancelled_at?.toISOString() ?? null,
    updatedAt: row.updated_at.toISOString(),
    lastEventAt: row.last_event_at.toISOString(),
  };
}
