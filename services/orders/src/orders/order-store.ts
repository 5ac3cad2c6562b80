// Orders and their lines in the service's database: insert with the
// idempotency key, read one or a user's page, and the guarded status changes
// (PENDING → CONFIRMED, → CANCELLED) that the saga and the event handlers make.

import { sql, type RawBuilder } from 'kysely';
import type { Order, OrderLine, OrderList, OrderStatus } from '../../contract.ts';
import type { OrderLineTable, OrdersDatabase, OrderTable } from '../db.ts';
import { encodeCursor, type Position } from './cursor.ts';

export interface NewOrder {
  id: string;
  userId: string;
  items: OrderLine[];
  totalCents: number;
  currency: string;
  paymentMethod: string;
  reservationId: string;
  paymentId: string;
  createdAt: Date;
}

export interface CancelReason {
  reasonCode: string;
  reason: string;
}

/** A status change: whether this call made it, and the order as it is now. */
export interface Transition {
  changed: boolean;
  order: Order;
}

export type OrderStore = ReturnType<typeof createOrderStore>;

export function createOrderStore(db: OrdersDatabase) {
  async function linesOf(exec: OrdersDatabase, ids: readonly string[]): Promise<Map<string, OrderLineTable[]>> {
    const byOrder = new Map<string, OrderLineTable[]>();
    if (ids.length === 0) return byOrder;
    const rows = await exec
      .selectFrom('order_lines')
      .selectAll()
      .where('order_id', 'in', ids)
      .orderBy('order_id')
      .orderBy('line_no')
      .execute();
    for (const r of rows) byOrder.set(r.order_id, [...(byOrder.get(r.order_id) ?? []), r]);
    return byOrder;
  }

  /** The order with its lines, in one statement (a checkout's answer reads it once its saga ended). */
  async function get(id: string, exec: OrdersDatabase = db): Promise<Order | undefined> {
    const { rows } = await sql<OrderTable & { lines: OrderLineTable[] }>`
      select o.*, coalesce((select json_agg(l order by l.line_no) from order_lines l where l.order_id = o.id), '[]'::json) as lines
      from orders o where o.id = ${id}`.execute(exec);
    const row = rows[0];
    if (!row) return undefined;
    const { lines, ...order } = row;
    return toOrder(order, lines);
  }

  /**
   * One guarded status change; when the guard does not hold, the order as it is. `known`: the order's lines as
   * the caller has them (the saga's state holds what was inserted; lines never change), so a change needs no read.
   */
  async function transition(
    trx: OrdersDatabase,
    id: string,
    from: readonly OrderStatus[],
    set: Partial<OrderTable>,
    known?: readonly OrderLine[],
  ): Promise<Transition> {
    const changed = await trx
      .updateTable('orders')
      .set(set)
      .where('id', '=', id)
      .where('status', 'in', from)
      .returningAll()
      .executeTakeFirst();
    const lines = changed && (known ? known.map((l, i) => lineRow(id, i, l)) : (await linesOf(trx, [id])).get(id));
    const order = changed ? toOrder(changed, lines || []) : await get(id, trx);
    if (!order) throw new Error(`order ${id} does not exist`);
    return { changed: changed !== undefined, order };
  }

  return {
    get,

    /** The order's status and why (one row, no lines): for a step that only needs to know whether it was cancelled. */
    async statusOf(id: string): Promise<Pick<Order, 'status' | 'reasonCode' | 'reason'> | undefined> {
      const row = await db
        .selectFrom('orders')
        .select(['status', 'reason_code', 'reason'])
        .where('id', '=', id)
        .executeTakeFirst();
      if (!row) return undefined;
      return {
        status: row.status,
        ...(row.reason_code !== null ? { reasonCode: row.reason_code } : {}),
        ...(row.reason !== null ? { reason: row.reason } : {}),
      };
    },

    /**
     * Claims the key for a new order and, only if this call claimed it, inserts the PENDING order with its lines
     * and `announce(claimed)` (the outbox write of its event, `events.publishing` with `when` = the claim): one
     * statement, one round trip. A concurrent request with the same key waits at the claim for the first to
     * commit, then gets false and has written nothing. The key's foreign key to the order is checked at the
     * end of the statement, when the order is there.
     */
    async place(
      trx: OrdersDatabase,
      o: NewOrder,
      k: { key: string; fingerprint: string },
      announce: (claimed: RawBuilder<unknown>) => RawBuilder<unknown>,
    ): Promise<boolean> {
      const lines = o.items.map((l, i) => lineRow(o.id, i, l));
      const { rows } = await sql<{ claimed: number }>`
        with claimed as (
          insert into order_idempotency_keys (user_id, key, fingerprint, order_id, created_at)
          values (${o.userId}, ${k.key}, ${k.fingerprint}, ${o.id}, ${o.createdAt})
          on conflict (user_id, key) do nothing
          returning order_id),
        placed as (
          insert into orders (id, user_id, status, total_cents, currency, payment_method, reservation_id, payment_id,
                              created_at, updated_at)
          select order_id, ${o.userId}, 'PENDING', ${o.totalCents}, ${o.currency}, ${o.paymentMethod}, ${o.reservationId},
                 ${o.paymentId}, ${o.createdAt}, ${o.createdAt}
          from claimed
          returning id),
        lined as (
          insert into order_lines (order_id, line_no, product_id, name, quantity, unit_price_cents, currency)
          select p.id, l.line_no, l.product_id, l.name, l.quantity, l.unit_price_cents, l.currency
          from placed p,
               jsonb_to_recordset(${JSON.stringify(lines)}::jsonb)
                 as l(line_no integer, product_id uuid, name text, quantity integer, unit_price_cents bigint, currency text)),
        announced as (${announce(sql`claimed`)})
        select count(*)::int as claimed from claimed`.execute(trx);
      return rows[0]!.claimed === 1;
    },

    /** The caller's orders, newest first, strictly older than `before`. */
    async list(userId: string, page: { limit: number; before?: Position }): Promise<OrderList> {
      let query = db.selectFrom('orders').selectAll().where('user_id', '=', userId);
      if (page.before) query = query.where(sql<boolean>`(created_at, id) < (${page.before.createdAt}, ${page.before.id}::uuid)`);
      const rows = await query
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(page.limit + 1)
        .execute();
      const shown = rows.slice(0, page.limit);
      const lines = await linesOf(
        db,
        shown.map((r) => r.id),
      );
      const last = shown.at(-1);
      return {
        items: shown.map((r) => toOrder(r, lines.get(r.id) ?? [])),
        nextBefore: rows.length > page.limit && last ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null,
      };
    },

    confirm: (trx: OrdersDatabase, id: string, at: Date, lines?: readonly OrderLine[]) =>
      transition(trx, id, ['PENDING'], { status: 'CONFIRMED', confirmed_at: at, updated_at: at }, lines),

    cancel: (trx: OrdersDatabase, id: string, reason: CancelReason, at: Date, from: readonly OrderStatus[]) =>
      transition(trx, id, from, {
        status: 'CANCELLED',
        reason_code: reason.reasonCode,
        reason: reason.reason,
        cancelled_at: at,
        updated_at: at,
      }),

    async findKey(
      userId: string,
      key: string,
      exec: OrdersDatabase = db,
    ): Promise<{ fingerprint: string; orderId: string } | undefined> {
      const row = await exec
        .selectFrom('order_idempotency_keys')
        .select(['fingerprint', 'order_id'])
        .where('user_id', '=', userId)
        .where('key', '=', key)
        .executeTakeFirst();
      return row && { fingerprint: row.fingerprint, orderId: row.order_id };
    },
  };
}

/** Line `i` (from 0) of order `orderId` as stored. */
function lineRow(orderId: string, i: number, l: OrderLine): OrderLineTable {
  return {
    order_id: orderId,
    line_no: i + 1,
    product_id: l.productId,
    name: l.name,
    quantity: l.quantity,
    unit_price_cents: l.unitPriceCents,
    currency: l.currency,
  };
}

function toOrder(row: OrderTable, lines: readonly OrderLineTable[]): Order {
  return {
    id: row.id,
    userId: row.user_id,
    status: row.status,
    ...(row.reason_code !== null ? { reasonCode: row.reason_code } : {}),
    ...(row.reason !== null ? { reason: row.reason } : {}),
    items: lines.map((l) => ({
      productId: l.product_id,
      name: l.name,
      quantity: l.quantity,
      unitPriceCents: l.unit_price_cents,
      currency: l.currency,
      lineTotalCents: l.unit_price_cents * l.quantity,
    })),
    totalCents: row.total_cents,
    currency: row.currency,
    paymentMethod: row.payment_method,
    reservationId: row.reservation_id,
    paymentId: row.payment_id,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
