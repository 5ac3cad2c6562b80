// Shipments in PostgreSQL: recorded from StockCommitted (once per order),
// released by PaymentCaptured, cancelled by OrderCancelled, read by order, and
// moved to SHIPPED or FAILED by the worker.
//
// The join: the facts about one order come from different producers' feeds,
// handled concurrently (and perhaps on different instances), in any order.
// Every handler of the join first locks the order's `order_facts` row
// (creating it when it is the first fact), so two facts about one order are
// handled one after the other and the second sees what the first wrote: under
// READ COMMITTED each later statement reads what committed before the lock was
// granted. Without that lock a StockCommitted and a PaymentCaptured handled at
// the same moment could each miss the other and leave the shipment waiting.

import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Shipment } from '../../contract.ts';
import type { OrderFactsTable, ShippingDatabase } from '../db.ts';
import { cancellable, statusOnCommit } from './shipment-rules.ts';

type Row = {
  id: string;
  order_id: string;
  reservation_id: string;
  status: Shipment['status'];
  items: Shipment['items'];
  ship_after: Date;
  carrier: string | null;
  tracking_number: string | null;
  reason_code: string | null;
  reason: string | null;
  payment_id: string | null;
  paid_at: Date | null;
  shipped_at: Date | null;
  failed_at: Date | null;
  cancelled_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

export type FactsRow = Omit<OrderFactsTable, 'created_at'> & { created_at: Date };

export function toShipment(row: Row): Shipment {
  return {
    id: row.id,
    orderId: row.order_id,
    reservationId: row.reservation_id,
    status: row.status,
    items: row.items,
    carrier: row.carrier,
    trackingNumber: row.tracking_number,
    reasonCode: row.reason_code,
    reason: row.reason,
    shipAfter: row.ship_after.toISOString(),
    paymentId: row.payment_id,
    paidAt: row.paid_at?.toISOString() ?? null,
    shippedAt: row.shipped_at?.toISOString() ?? null,
    failedAt: row.failed_at?.toISOString() ?? null,
    cancelledAt: row.cancelled_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * The order's facts, locked until the transaction ends (the row is created empty when this is
 * the first fact about the order). Take it first in every handler of the join.
 */
export async function lockOrderFacts(trx: ShippingDatabase, orderId: string, now: Date): Promise<FactsRow> {
  return (
    trx
      .insertInto('order_facts')
      .values({ order_id: orderId.toLowerCase(), created_at: now, updated_at: now })
      // A no-op update: it waits for a concurrent handler of the same order, then locks the row and returns it.
      .onConflict((oc) => oc.column('order_id').doUpdateSet((eb) => ({ updated_at: eb.ref('order_facts.updated_at') })))
      .returningAll()
      .executeTakeFirstOrThrow()
  );
}

export interface NewShipment {
  orderId: string;
  reservationId: string;
  items: { productId: string; quantity: number }[];
  shipAfter: Date;
  now: Date;
}

/** statusOnCommit as a SQL case over the facts row `f`: the rule stays the one place that decides. */
const statusOnCommitSql = sql.join(
  [true, false].flatMap((cancelled) =>
    [true, false].map(
      (paid) =>
        sql`when (f.cancelled_at is not null) = ${cancelled} and (f.paid_at is not null) = ${paid} then ${statusOnCommit({ paid, cancelled })}`,
    ),
  ),
  sql` `,
);

/**
 * StockCommitted's whole join in one statement: the order's facts locked (as
 * lockOrderFacts does) and the shipment recorded from them: waiting for the
 * payment, PENDING when the capture is known, CANCELLED when the order was.
 * The facts come from the upsert's RETURNING, the row as it is once locked
 * (not as the statement's snapshot saw it), so a payment or cancellation that
 * committed while this waited for the lock counts. Null when the order already
 * has a shipment (a redelivery adds nothing).
 */
export async function recordShipment(db: ShippingDatabase, s: NewShipment): Promise<Shipment['status'] | null> {
  const orderId = s.orderId.toLowerCase();
  const { rows } = await sql<{ status: Shipment['status'] }>`
    with f as (
      insert into order_facts (order_id, created_at, updated_at) values (${orderId}, ${s.now}, ${s.now})
      on conflict (order_id) do update set updated_at = order_facts.updated_at
      returning *)
    insert into shipments (id, order_id, reservation_id, status, items, ship_after, payment_id, paid_at,
                           cancelled_at, reason_code, reason, created_at, updated_at)
    select ${randomUUID()}, f.order_id, ${s.reservationId.toLowerCase()}, x.status, ${JSON.stringify(s.items)}::jsonb,
           ${s.shipAfter}, f.payment_id, f.paid_at,
           case when x.status = 'CANCELLED' then ${s.now}::timestamptz end,
           case when x.status = 'CANCELLED' then f.cancel_reason_code end,
           case when x.status = 'CANCELLED' then f.cancel_reason end,
           ${s.now}, ${s.now}
    from f, lateral (select (case ${statusOnCommitSql} end)::text as status) x
    on conflict (order_id) do nothing
    returning status`.execute(db);
  return rows[0]?.status ?? null;
}

export type PaymentOutcome =
  /** The waiting shipment is PENDING now: the worker ships it when due. */
  | { kind: 'released'; shipAfter: Date }
  /** No shipment yet: the fact is remembered for the StockCommitted to come. */
  | { kind: 'remembered' }
  /** Already known (a redelivery), or the shipment is past waiting (cancelled, say). */
  | { kind: 'nothing'; status: Shipment['status'] | undefined };

/** PaymentCaptured: remembers the capture and releases the order's shipment if it waits for it. Call with the facts locked. */
export async function recordPayment(
  trx: ShippingDatabase,
  facts: FactsRow,
  p: { paymentId: string; paidAt: Date },
  now: Date,
): Promise<PaymentOutcome> {
  const orderId = facts.order_id;
  const paymentId = p.paymentId.toLowerCase();
  // One statement after the lock (a later statement than the lock's, so it sees what committed before
  // it was granted): the fact remembered, and the shipment, if any, released or noted. The new ship_after
  // is shipAfterOnPayment's: the later of the planned one and now.
  const { rows } = await sql<{ status: Shipment['status']; paid_at: Date | null; released: boolean; ship_after: Date }>`
    with remembered as (
      update order_facts set payment_id = ${paymentId}, paid_at = ${p.paidAt}, updated_at = ${now}
      where order_id = ${orderId} and paid_at is null),
    shipment as (
      select id, status, paid_at, ship_after from shipments where order_id = ${orderId} for update),
    changed as (
      update shipments s
      set status = case when w.status = 'AWAITING_PAYMENT' then 'PENDING' else s.status end,
          ship_after = case when w.status = 'AWAITING_PAYMENT' then greatest(s.ship_after, ${now}) else s.ship_after end,
          payment_id = ${paymentId}, paid_at = ${p.paidAt}, updated_at = ${now}
      from shipment w
      where s.id = w.id and w.paid_at is null
      returning s.id, s.ship_after)
    select w.status, w.paid_at, c.id is not null and w.status = 'AWAITING_PAYMENT' as released, c.ship_after
    from shipment w left join changed c on c.id = w.id`.execute(trx);
  const shipment = rows[0];
  if (!shipment) return facts.paid_at === null ? { kind: 'remembered' } : { kind: 'nothing', status: undefined };
  if (shipment.released) return { kind: 'released', shipAfter: shipment.ship_after };
  // Already paid (a redelivery), or cancelled before the capture: it stays so; the capture is noted for whoever looks.
  return { kind: 'nothing', status: shipment.status };
}

export type CancelOutcome =
  | { kind: 'cancelled' }
  /** No shipment yet: the cancellation is remembered, so the StockCommitted to come records it CANCELLED. */
  | { kind: 'remembered' }
  /** Already cancelled (a redelivery), or too late: SHIPPED or FAILED. */
  | { kind: 'nothing'; status: Shipment['status'] | undefined };

/** OrderCancelled: remembers the cancellation and cancels the order's shipment unless it has left. Call with the facts locked. */
export async function recordCancellation(
  trx: ShippingDatabase,
  facts: FactsRow,
  c: { reasonCode: string; reason: string; cancelledAt: Date },
  now: Date,
): Promise<CancelOutcome> {
  const orderId = facts.order_id;
  if (facts.cancelled_at === null) {
    await trx
      .updateTable('order_facts')
      .set({ cancelled_at: c.cancelledAt, cancel_reason_code: c.reasonCode, cancel_reason: c.reason, updated_at: now })
      .where('order_id', '=', orderId)
      .execute();
  }
  // The row lock waits for a worker shipping it right now; then the status says whether it left.
  const shipment = await trx
    .selectFrom('shipments')
    .select(['id', 'status'])
    .where('order_id', '=', orderId)
    .forUpdate()
    .executeTakeFirst();
  if (!shipment) return facts.cancelled_at === null ? { kind: 'remembered' } : { kind: 'nothing', status: undefined };
  if (!cancellable(shipment.status)) return { kind: 'nothing', status: shipment.status };
  await trx
    .updateTable('shipments')
    .set({ status: 'CANCELLED', cancelled_at: now, reason_code: c.reasonCode, reason: c.reason, updated_at: now })
    .where('id', '=', shipment.id)
    .execute();
  return { kind: 'cancelled' };
}

export async function findShipment(db: ShippingDatabase, orderId: string): Promise<Shipment | undefined> {
  const row = await db.selectFrom('shipments').selectAll().where('order_id', '=', orderId.toLowerCase()).executeTakeFirst();
  return row && toShipment(row);
}

/**
 * Due PENDING shipments, locked; SKIP LOCKED leaves the ones another instance is shipping (or a
 * cancellation is cancelling) to it. PENDING means paid: the database refuses a PENDING row
 * without paid_at (constraint shipments_pending_is_paid), so nothing unpaid is ever due.
 */
export async function lockDueShipments(trx: ShippingDatabase, now: Date, limit: number): Promise<Row[]> {
  return trx
    .selectFrom('shipments')
    .selectAll()
    .where('status', '=', 'PENDING')
    .where('ship_after', '<=', now)
    .orderBy('ship_after')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

export async function ownerOf(db: ShippingDatabase, orderId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('order_owners')
    .select('user_id')
    .where('order_id', '=', orderId.toLowerCase())
    .executeTakeFirst();
  return row?.user_id;
}

export async function recordOwner(db: ShippingDatabase, orderId: string, userId: string, now: Date): Promise<void> {
  await db
    .insertInto('order_owners')
    .values({ order_id: orderId.toLowerCase(), user_id: userId.toLowerCase(), recorded_at: now })
    .onConflict((oc) => oc.column('order_id').doNothing())
    .execute();
}
