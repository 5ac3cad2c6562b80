// What the cancellation job reads of payments: the order's payments that may
// still hold or have taken money.

import type { PaymentsDatabase } from '../db.ts';

/** Payments of an order that may still hold or have taken money. */
export const LIVE_STATUSES = ['AUTHORIZING', 'AUTHORIZED', 'CAPTURED'];

/** The order's payments that may still hold or have taken money, oldest first. */
export async function livePaymentsOf(db: PaymentsDatabase, orderId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('payments')
    .select('id')
    .where('order_id', '=', orderId.toLowerCase())
    .where('status', 'in', LIVE_STATUSES)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => r.id);
}
