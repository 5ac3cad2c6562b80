// Reading orders: one order (its owner, an admin or an internal service),
// the caller's orders newest first, and an order's checkout saga step by step.

import type { SagaRunner, ServiceContext } from '@souk/chassis';
import { API_PREFIX, DEFAULT_LIMIT, Order, OrderList, OrderListQuery, OrderParams, OrderSaga } from '../../contract.ts';
import { errors } from '../errors.ts';
import { maySee, userOf } from './caller.ts';
import { positionBefore } from './cursor.ts';
import type { OrderStore } from './order-store.ts';

export function registerOrderRoutes(ctx: ServiceContext, store: OrderStore, sagas: SagaRunner): void {
  const { app } = ctx;
  const signedIn = ctx.auth.required();
  const tags = ['orders'];

  /** Someone else's order is "not found" too: its existence is none of the caller's business. */
  const visible = async (id: string, identity: Parameters<typeof maySee>[0]) => {
    const order = await store.get(id);
    if (!order || !maySee(identity, order.userId))
      throw errors.notFound({ detail: `You have no order ${id}.`, extensions: { id } });
    return order;
  };

  app.get(
    API_PREFIX,
    {
      onRequest: signedIn,
      schema: { summary: "The caller's orders, newest first", tags, querystring: OrderListQuery, response: { 200: OrderList } },
    },
    async (request) => {
      const userId = userOf(request.identity);
      const { limit = DEFAULT_LIMIT, before } = request.query;
      const position = positionBefore(before);
      return store.list(userId, { limit, ...(position ? { before: position } : {}) });
    },
  );

  app.get(
    `${API_PREFIX}/:id`,
    {
      onRequest: signedIn,
      schema: { summary: 'One order', tags, params: OrderParams, response: { 200: Order } },
    },
    async (request) => visible(request.params.id.toLowerCase(), request.identity),
  );

  app.get(
    `${API_PREFIX}/:id/saga`,
    {
      onRequest: signedIn,
      schema: {
        summary: "The order's checkout saga: status, steps with attempts, timings and errors, and the full log",
        tags,
        params: OrderParams,
        response: { 200: OrderSaga },
      },
    },
    async (request) => {
      const order = await visible(request.params.id.toLowerCase(), request.identity);
      const saga = await sagas.get(order.id);
      if (!saga) throw errors.notFound({ detail: `Order ${order.id} has no saga.`, extensions: { id: order.id } });
      const { id: sagaId, ...rest } = saga;
      return { orderId: order.id, sagaId, ...rest };
    },
  );
}
