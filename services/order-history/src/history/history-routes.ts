// The public routes of the read model: the caller's orders (newest first,
// paged, with the projection's lag), one order (its owner or an admin), and
// the projection lag itself (anyone).

import { userIdOf, type Identity, type ServiceContext } from '@souk/chassis';
import { sql } from 'kysely';
import {
  API_PREFIX,
  DEFAULT_LIMIT,
  HistoryList,
  HistoryListQuery,
  OrderHistoryItem,
  OrderParams,
  ProjectionLag,
} from '../../contract.ts';
import type { OrderHistoryDatabase } from '../db.ts';
import { errors } from '../errors.ts';
import { projectionLag, type LagDeps } from '../lag/projection-lag.ts';
import { itemColumns, toItem } from '../projection/view-store.ts';
import { encodeCursor, positionBefore } from './cursor.ts';

const userOf = (identity: Identity | undefined) => userIdOf(identity, 'Order history belongs to users');

export function registerHistoryRoutes(ctx: ServiceContext, db: OrderHistoryDatabase): void {
  const { app } = ctx;
  const user = ctx.auth.required();
  const tags = ['order-history'];
  const lagDeps: LagDeps = {
    db,
    transport: ctx.events.transport,
    instanceId: ctx.instanceId,
    metrics: ctx.metrics,
    now: () => ctx.clock.now(),
  };

  app.get(
    API_PREFIX,
    {
      onRequest: user,
      schema: {
        summary: "The caller's orders, newest first",
        tags,
        querystring: HistoryListQuery,
        response: { 200: HistoryList },
      },
    },
    async (request) => {
      const userId = userOf(request.identity);
      const { limit = DEFAULT_LIMIT, before } = request.query;
      const position = positionBefore(before);
      let query = db.selectFrom('order_views').select(itemColumns).where('user_id', '=', userId);
      if (position)
        query = query.where(sql<boolean>`(placed_at, order_id) < (${position.placedAt}::timestamptz, ${position.orderId}::uuid)`);
      // One row more than asked tells whether another page follows.
      const [rows, lag] = await Promise.all([
        query
          .orderBy('placed_at', 'desc')
          .orderBy('order_id', 'desc')
          .limit(limit + 1)
          .execute(),
        projectionLag(lagDeps, { rows: false }),
      ]);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map(toItem),
        nextBefore: rows.length > limit && last ? encodeCursor({ placedAt: last.placed_at, orderId: last.order_id }) : null,
        projection: { lagSeconds: lag.lagSeconds, rebuilding: lag.rebuild?.state === 'running' },
      };
    },
  );

  // Before /:orderId in meaning, not in matching: Fastify prefers the static path.
  app.get(
    `${API_PREFIX}/lag`,
    {
      schema: { summary: "How far behind the producers' events the read model is", tags, response: { 200: ProjectionLag } },
    },
    async () => projectionLag(lagDeps),
  );

  app.get(
    `${API_PREFIX}/:orderId`,
    {
      onRequest: user,
      schema: { summary: "One of the caller's orders", tags, params: OrderParams, response: { 200: OrderHistoryItem } },
    },
    async (request) => {
      const identity = request.identity;
      const admin = identity?.roles.includes('admin') ?? false;
      const userId = admin ? undefined : userOf(identity);
      let query = db.selectFrom('order_views').select(itemColumns).where('order_id', '=', request.params.orderId.toLowerCase());
      if (userId) query = query.where('user_id', '=', userId);
      const row = await query.executeTakeFirst();
      // Someone else's order is "not found" too: its existence is none of the caller's business.
      if (!row)
        throw errors.notFound({
          detail: `You have no order ${request.params.orderId} in the history (yet).`,
          extensions: { orderId: request.params.orderId },
        });
      return toItem(row);
    },
  );
}
