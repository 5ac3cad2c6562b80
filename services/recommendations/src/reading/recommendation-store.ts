// Reading the counts: products most often bought with one or several
// products (merged, those left out), and bestsellers all time or over the
// last N days. Ties are broken by product id so pages are stable.

import { sql } from 'kysely';
import type { Bestseller, Recommendation } from '../../contract.ts';
import type { RecommendationsDatabase } from '../db.ts';

export interface RecommendationStore {
  boughtWith(productIds: readonly string[], limit: number): Promise<Recommendation[]>;
  bestsellers(limit: number, window?: { days: number; today: string }): Promise<Bestseller[]>;
}

export function createRecommendationStore(db: RecommendationsDatabase): RecommendationStore {
  return {
    async boughtWith(productIds, limit) {
      const { rows } = await sql<{ product_id: string; name: string | null; count: number }>`
        select c.other_id as product_id, n.name, sum(c.orders)::int as count
        from co_purchases c left join product_names n on n.product_id = c.other_id
        where c.product_id = any(${productIds}::uuid[]) and c.other_id <> all(${productIds}::uuid[])
        group by c.other_id, n.name
        order by count desc, c.other_id
        limit ${limit}`.execute(db);
      return rows.map((r) => ({ productId: r.product_id, name: r.name ?? '', count: r.count }));
    },

    async bestsellers(limit, window) {
      const { rows } = window
        ? await sql<{ product_id: string; name: string | null; units: number; orders: number }>`
            select d.product_id, n.name, sum(d.units)::int as units, sum(d.orders)::int as orders
            from daily_sales d left join product_names n on n.product_id = d.product_id
            where d.day > ${window.today}::date - ${window.days}::int
            group by d.product_id, n.name
            order by units desc, d.product_id
            limit ${limit}`.execute(db)
        : await sql<{ product_id: string; name: string | null; units: number; orders: number }>`
            select s.product_id, n.name, s.units, s.orders
            from product_sales s left join product_names n on n.product_id = s.product_id
            order by s.units desc, s.product_id
            limit ${limit}`.execute(db);
      return rows.map((r) => ({ productId: r.product_id, name: r.name ?? '', units: Number(r.units), orders: r.orders }));
    },
  };
}
