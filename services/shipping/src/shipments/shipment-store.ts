// Shipments in PostgreSQL: recorded from StockCommitted (once per order),
// read by order, and moved to SHIPPED or FAILED by the worker.

import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Shipment } from '../../contract.ts';
import type { ShippingDb } from '../db.ts';

type Row = {
  id: string; order_id: string; reservation_id: string; status: Shipment['status']; items: Shipment['items']; ship_after: Date;
  carrier: string | null; tracking_number: string | null; reason_code: string | null; reason: string | null;
  shipped_at: Date | null; failed_at: Date | null; created_at: Date; updated_at: Date;
};

export function toShipment(row: Row): Shipment {
  return {
    id: row.id, orderId: row.order_id, reservationId: row.reservation_id, status: row.status, items: row.items,
    carrier: row.carrier, trackingNumber: row.tracking_number, reasonCode: row.reason_code, reason: row.reason,
    shipAfter: row.ship_after.toISOString(), shippedAt: row.shipped_at?.toISOString() ?? null, failedAt: row.failed_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString(),
  };
}

export interface NewShipment {
  orderId: string;
  reservationId: string;
  items: { productId: string; quantity: number }[];
  shipAfter: Date;
  now: Date;
}

/** Records a PENDING shipment; false when the order already has one (a redelivery adds nothing). */
export async function recordShipment(db: Kysely<ShippingDb>, s: NewShipment): Promise<boolean> {
  const inserted = await db.insertInto('shipments')
    .values({
      id: randomUUID(), order_id: s.orderId.toLowerCase(), reservation_id: s.reservationId.toLowerCase(), status: 'PENDING',
      items: JSON.stringify(s.items), ship_after: s.shipAfter, created_at: s.now, updated_at: s.now,
    })
    .onConflict((oc) => oc.column('order_id').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function findShipment(db: Kysely<ShippingDb>, orderId: string): Promise<Shipment | undefined> {
  const row = await db.selectFrom('shipments').selectAll().where('order_id', '=', orderId.toLowerCase()).executeTakeFirst();
  return row && toShipment(row);
}

/** Due PENDING shipments, locked; SKIP LOCKED leaves the ones another instance is shipping to it. */
export async function lockDueShipments(trx: Kysely<ShippingDb>, now: Date, limit: number): Promise<Row[]> {
  return trx.selectFrom('shipments').selectAll()
    .where('status', '=', 'PENDING').where('ship_after', '<=', now)
    .orderBy('ship_after').limit(limit)
    .forUpdate().skipLocked()
    .execute();
}

export async function ownerOf(db: Kysely<ShippingDb>, orderId: string): Promise<string | undefined> {
  const row = await db.selectFrom('order_owners').select('user_id').where('order_id', '=', orderId.toLowerCase()).executeTakeFirst();
  return row?.user_id;
}

export async function recordOwner(db: Kysely<ShippingDb>, orderId: string, userId: string, now: Date): Promise<void> {
  await db.insertInto('order_owners')
    .values({ order_id: orderId.toLowerCase(), user_id: userId.toLowerCase(), recorded_at: now })
    .onConflict((oc) => oc.column('order_id').doNothing())
    .execute();
}
