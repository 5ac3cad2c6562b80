// Turns orders' OrderConfirmed into counts: co-purchases both directions,
// units and orders per product (all time and per day), the newest name. Runs
// in the event's inbox transaction; an order already counted (the same order
// confirmed under another event id, or the inbox forgotten by a replay) adds
// nothing.

import type { EventHandler } from '@souk/chassis';
import type { OrderConfirmed } from '@souk/orders/contract';
import { sql } from 'kysely';
import type { RecommendationsDb } from '../db.ts';
import { basket, dayOf, pairs } from './basket.ts';

export function countConfirmedOrder(): EventHandler<OrderConfirmed, RecommendationsDb> {
  return async (event, { db, log }) => {
    const at = new Date(event.data.confirmedAt);
    const products = basket(event.data.items);
    const ids = products.map((p) => p.productId);
    const units = products.map((p) => p.units);
    const names = products.map((p) => p.name);
    const together = pairs(products);
    // One statement for every table, whatever the order's size (arrays unnested by PostgreSQL): the counts only
    // when the order was not counted before (`first` inserted its row). Names: the newest confirmation's wins,
    // whatever order confirmations are handled in.
    const { rows } = await sql<{ order_id: string }>`
      with first as (
        insert into counted_orders (order_id, confirmed_at) values (${event.data.orderId.toLowerCase()}, ${at}::timestamptz)
        on conflict (order_id) do nothing returning order_id
      ), co as (
        insert into co_purchases (product_id, other_id, orders, last_at)
        select p, o, 1, ${at}::timestamptz
        from unnest(${together.map((x) => x.productId)}::uuid[], ${together.map((x) => x.otherId)}::uuid[]) as t(p, o)
        where exists (select from first)
        on conflict (product_id, other_id) do update set orders = co_purchases.orders + 1, last_at = greatest(co_purchases.last_at, excluded.last_at)
      ), sales as (
        insert into product_sales (product_id, units, orders, last_sold_at)
        select p, u, 1, ${at}::timestamptz from unnest(${ids}::uuid[], ${units}::bigint[]) as t(p, u)
        where exists (select from first)
        on conflict (product_id) do update set units = product_sales.units + excluded.units, orders = product_sales.orders + 1,
          last_sold_at = greatest(product_sales.last_sold_at, excluded.last_sold_at)
      ), daily as (
        insert into daily_sales (product_id, day, units, orders)
        select p, ${dayOf(at)}::date, u, 1 from unnest(${ids}::uuid[], ${units}::bigint[]) as t(p, u)
        where exists (select from first)
        on conflict (day, product_id) do update set units = daily_sales.units + excluded.units, orders = daily_sales.orders + 1
      ), named as (
        insert into product_names (product_id, name, seen_at)
        select p, n, ${at}::timestamptz from unnest(${ids}::uuid[], ${names}::text[]) as t(p, n)
        where exists (select from first)
        on conflict (product_id) do update set name = excluded.name, seen_at = excluded.seen_at
        where product_names.seen_at <= excluded.seen_at
      )
      select order_id from first`.execute(db);
    if (rows.length === 0) log.info({ orderId: event.data.orderId }, 'order already counted; nothing added');
  };
}
