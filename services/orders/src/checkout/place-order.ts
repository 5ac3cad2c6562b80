// POST /api/v1/orders: reads the caller's cart lines (no prices: cart asks
// nobody for them), prices them from orders' own copy of the catalog, then in
// ONE transaction inserts the PENDING order with its idempotency key and
// OrderPlaced (one statement), and starts the checkout saga. `Prefer: wait=N` holds
// the answer until the saga ends (woken by the runner, not by polling here)
// or N seconds pass.

import { randomUUID } from 'node:crypto';
import { isSoukError, type Clock, type Events, type SagaRunner, type ServiceContext } from '@souk/chassis';
import type { CartLines } from '@souk/cart/contract';
import { Type } from 'typebox';
import { API_PREFIX, DEFAULT_PAYMENT_METHOD, Order, OrderPlaced, PlaceOrderBody } from '../../contract.ts';
import type { OrdersDatabase } from '../db.ts';
import { errors } from '../errors.ts';
import { userOf } from '../orders/caller.ts';
import type { OrderStore } from '../orders/order-store.ts';
import type { CheckoutState } from '../saga/participants.ts';
import { CHECKOUT_SAGA, paymentIdOf, reservationIdOf } from '../saga/saga-ids.ts';
import type { CatalogProducts } from '../prices/catalog-products.ts';
import type { CopiedProduct, PriceCopy } from '../prices/price-copy.ts';
import { fingerprintOf, idempotencyKeyOf, preferredWait, priceLines, toLookUp, type OrderLines } from './checkout-rules.ts';

export interface PlaceOrderDeps {
  db: OrdersDatabase;
  store: OrderStore;
  sagas: SagaRunner;
  events: Pick<Events, 'publishing'>;
  clock: Clock;
  prices: PriceCopy;
  catalog: CatalogProducts;
  cartTimeoutMs: number;
  pricesRetryAfterSeconds: number;
}

/** Another request with the same key committed first: answer with its order instead. */
class KeyTaken extends Error {}

export function registerPlaceOrderRoute(ctx: ServiceContext, deps: PlaceOrderDeps): void {
  const { store, sagas } = deps;

  async function readCart(): Promise<CartLines> {
    try {
      // Default client behaviour: the user's token goes with the call.
      return (
        await ctx.client('cart').request<CartLines>({ method: 'GET', path: '/api/v1/cart/lines', timeoutMs: deps.cartTimeoutMs })
      ).body;
    } catch (err) {
      if (isSoukError(err) && err.status < 500) throw err;
      throw errors.cartUnavailable({
        detail: 'The cart could not be read; nothing was ordered. Retry with the same Idempotency-Key.',
        cause: err,
        headers: { 'retry-after': '1' },
      });
    }
  }

  /**
   * The cart's lines at the copy's prices. A product the copy does not know (created a moment ago,
   * its event not handled yet) is asked of catalog, as the shopper just saw it there; if catalog
   * does not answer, nothing is ordered at a price not confirmed (503, retryable).
   */
  async function priced(cart: CartLines): Promise<OrderLines> {
    const copy = new Map<string, CopiedProduct>(await deps.prices.get(cart.items.map((l) => l.productId.toLowerCase())));
    const missing = toLookUp(cart.items, copy);
    if (missing.length > 0) {
      let found;
      try {
        found = await deps.catalog.byIds(missing);
      } catch (err) {
        throw errors.pricesUnavailable({
          detail: 'The current price of a product in your cart cannot be confirmed right now; nothing was ordered.',
          cause: err,
          headers: { 'retry-after': String(deps.pricesRetryAfterSeconds) },
          extensions: { retryAfter: deps.pricesRetryAfterSeconds, productIds: missing },
        });
      }
      await deps.prices.putStates(deps.db, found);
      for (const p of found) copy.set(p.productId, { ...p, active: true });
    }
    return priceLines(cart.items, copy);
  }

  /** The order once its saga ended, or as it is after `waitSeconds`. */
  async function settled(orderId: string, waitSeconds: number) {
    if (waitSeconds > 0) await sagas.waitForEnd(orderId, waitSeconds * 1000);
    const order = await store.get(orderId);
    if (!order) throw new Error(`order ${orderId} vanished`);
    return order;
  }

  ctx.app.post(
    API_PREFIX,
    {
      onRequest: ctx.auth.required(),
      schema: {
        summary: 'Place an order from the cart (Idempotency-Key required; Prefer: wait=N waits for the outcome)',
        tags: ['orders'],
        // Fastify hands a missing body to validation as null: no body, the defaults.
        body: Type.Union([PlaceOrderBody, Type.Null()]),
        response: { 200: Order, 201: Order, 202: Order },
      },
    },
    async (request, reply) => {
      const userId = userOf(request.identity);
      const key = idempotencyKeyOf(request.headers['idempotency-key']);
      const paymentMethod = request.body?.paymentMethod ?? DEFAULT_PAYMENT_METHOD;
      const fingerprint = fingerprintOf({ paymentMethod });
      const waitSeconds = preferredWait(request.headers.prefer);

      const repeat = async () => {
        const known = await store.findKey(userId, key);
        if (!known) throw new Error('idempotency key vanished');
        if (known.fingerprint !== fingerprint) {
          throw errors.idempotencyKeyReused({
            detail: 'This Idempotency-Key already placed an order with a different body; use a new key for a new order.',
            extensions: { orderId: known.orderId },
          });
        }
        const order = await settled(known.orderId, waitSeconds);
        return reply.code(200).header('location', `${API_PREFIX}/${order.id}`).send(order);
      };
      if (await store.findKey(userId, key)) return repeat();

      const { items, totalCents, currency } = await priced(await readCart());
      const orderId = randomUUID();
      const createdAt = new Date(deps.clock.now());
      const state: CheckoutState = {
        orderId,
        userId,
        items,
        totalCents,
        currency,
        paymentMethod,
        reservationId: reservationIdOf(orderId),
        paymentId: paymentIdOf(orderId),
      };
      try {
        await deps.db.transaction().execute(async (trx) => {
          // The key's claim, the order, its lines and OrderPlaced: one statement (one round trip), written only if the key was ours.
          const placed = await store.place(trx, { ...state, id: orderId, createdAt }, { key, fingerprint }, (claimed) =>
            deps.events.publishing(
              trx,
              [
                {
                  contract: OrderPlaced,
                  data: { orderId, userId, items, totalCents, currency, placedAt: createdAt.toISOString() },
                  options: { subject: orderId },
                },
              ],
              claimed,
            ),
          );
          if (!placed) throw new KeyTaken();
          await sagas.start(trx, CHECKOUT_SAGA, orderId, state);
        });
      } catch (err) {
        if (err instanceof KeyTaken) return repeat();
        throw err;
      }
      sagas.wake(orderId);
      request.log.info({ order_id: orderId, items: items.length, total_cents: totalCents }, 'order placed');
      const order = await settled(orderId, waitSeconds);
      return reply
        .code(order.status === 'PENDING' ? 202 : 201)
        .header('location', `${API_PREFIX}/${order.id}`)
        .send(order);
    },
  );
}
