// The read model in PostgreSQL: merging events into their orders' rows (inside
// the handlers' transaction, once per page of events) and reading rows back as
// the API shows them.

import { sql, type RawBuilder } from 'kysely';
import type { OrderHistoryItem } from '../../contract.ts';
import type { OrderHistoryDatabase } from '../db.ts';
import { canonical, emptyFacts, evolve, type OrderEvent, type OrderFacts } from './order-facts.ts';
import { project, type OrderView } from './order-view.ts';

/**
 * Merges events into their orders' rows, in the order given: read the facts of every order they name
 * under row locks (events of other producers about the same orders are handled concurrently; one
 * statement, locks taken in key order), evolve, write the rows that changed (one statement for those
 * that exist, one for new ones). An event that adds nothing (a redelivery or an echo) writes nothing.
 * Returns how many rows changed. `alongside`: a write of the caller's (its progress) sent as a CTE of the
 * statement that locks the rows: one round trip fewer per page.
 */
export async function mergeEvents(
  db: OrderHistoryDatabase,
  events: readonly OrderEvent[],
  now: Date,
  alongside?: RawBuilder<unknown>,
): Promise<number> {
  const byOrder = new Map<string, OrderEvent[]>();
  for (const e of events) {
    const id = e.data.orderId.toLowerCase();
    const list = byOrder.get(id);
    if (list) list.push(e);
    else byOrder.set(id, [e]);
  }
  let changed = 0;
  let pending = [...byOrder.keys()];
  while (pending.length > 0) {
    const { rows } = await sql<{ order_id: string; facts: OrderFacts }>`
      ${alongside ? sql`with alongside as (${alongside}) ` : sql``}select order_id, facts from order_views
      where order_id = any(${pending}::uuid[]) order by order_id for update`.execute(db);
    alongside = undefined;
    const stored = new Map(rows.map((r) => [r.order_id, r.facts]));
    const updates: ReturnType<typeof toRow>[] = [];
    const inserts: ReturnType<typeof toRow>[] = [];
    for (const id of pending) {
      const before = stored.get(id);
      const facts = byOrder.get(id)!.reduce(evolve, before ?? emptyFacts(id));
      if (before && canonical(facts) === canonical(before)) continue;
      (before ? updates : inserts).push(toRow(project(facts), facts, now));
    }
    if (updates.length > 0) {
      // Every row here is locked by this transaction: the conflict always happens and is the update.
      await db
        .insertInto('order_views')
        .values(updates)
        .onConflict((oc) =>
          oc.column('order_id').doUpdateSet((eb) => ({
            user_id: eb.ref('excluded.user_id'),
            status: eb.ref('excluded.status'),
            reason_code: eb.ref('excluded.reason_code'),
            reason: eb.ref('excluded.reason'),
            items: eb.ref('excluded.items'),
            total_cents: eb.ref('excluded.total_cents'),
            currency: eb.ref('excluded.currency'),
            payment: eb.ref('excluded.payment'),
            stock: eb.ref('excluded.stock'),
            shipping: eb.ref('excluded.shipping'),
            placed_at: eb.ref('excluded.placed_at'),
            confirmed_at: eb.ref('excluded.confirmed_at'),
            cancelled_at: eb.ref('excluded.cancelled_at'),
            updated_at: eb.ref('excluded.updated_at'),
            last_event_at: eb.ref('excluded.last_event_at'),
            facts: eb.ref('excluded.facts'),
            projected_at: eb.ref('excluded.projected_at'),
          })),
        )
        .execute();
    }
    changed += updates.length;
    pending = [];
    if (inserts.length > 0) {
      // Two producers' first events about one order may race to create its row: the loser reads it and merges again.
      const created = await db
        .insertInto('order_views')
        .values(inserts)
        .onConflict((oc) => oc.column('order_id').doNothing())
        .returning('order_id')
        .execute();
      changed += created.length;
      const won = new Set(created.map((r) => r.order_id));
      pending = inserts.map((r) => r.order_id).filter((id) => !won.has(id));
    }
  }
  return changed;
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
