// The events of one order's life, as its producers would publish them, for
// the reducer's unit tests and the integration tests: a checkout that is
// confirmed, captured, then fails to ship and is compensated.

import { randomUUID } from 'node:crypto';
import type { OrderEvent } from '../src/projection/order-facts.ts';

export interface OrderStory {
  orderId: string;
  userId: string;
  paymentId: string;
  reservationId: string;
  shipmentId: string;
  productIds: [string, string];
  /** In the order they happened. */
  events: OrderEvent[];
}

/** ISO time `minutes` after a fixed start (the event time is a little after the fact). */
const at = (minutes: number, base = Date.parse('2025-06-01T10:00:00.000Z')) => new Date(base + minutes * 60_000).toISOString();

export function orderStory(options: { orderId?: string; userId?: string; startMinutes?: number } = {}): OrderStory {
  const orderId = options.orderId ?? randomUUID();
  const userId = options.userId ?? randomUUID();
  const paymentId = randomUUID();
  const reservationId = randomUUID();
  const shipmentId = randomUUID();
  const productIds: [string, string] = [randomUUID(), randomUUID()];
  const t = (m: number) => at((options.startMinutes ?? 0) + m);
  const items = [
    { productId: productIds[0], name: 'Pour-over kettle', quantity: 1, unitPriceCents: 3900, currency: 'EUR' },
    { productId: productIds[1], name: 'Paper filters', quantity: 3, unitPriceCents: 450, currency: 'EUR' },
  ];
  const stock = items.map(({ productId, quantity }) => ({ productId, quantity }));
  const totalCents = 3900 + 3 * 450;
  const ev = <E extends OrderEvent>(e: Omit<E, 'time'>, minutes: number) => ({ ...e, time: t(minutes + 0.01) }) as E;
  const events: OrderEvent[] = [
    ev({ type: 'OrderPlaced', data: { orderId, userId, items, totalCents, currency: 'EUR', placedAt: t(0) } }, 0),
    ev({ type: 'StockReserved', data: { reservationId, orderId, items: stock, expiresAt: t(15), reservedAt: t(1) } }, 1),
    ev(
      {
        type: 'PaymentAuthorized',
        data: {
          paymentId,
          orderId,
          userId,
          amountCents: totalCents,
          currency: 'EUR',
          authorizationId: 'auth_1',
          authorizedAt: t(2),
        },
      },
      2,
    ),
    ev(
      {
        type: 'OrderConfirmed',
        data: { orderId, userId, items, totalCents, currency: 'EUR', reservationId, paymentId, confirmedAt: t(3) },
      },
      3,
    ),
    ev({ type: 'StockCommitted', data: { reservationId, orderId, items: stock, committedAt: t(4) } }, 4),
    ev(
      {
        type: 'PaymentCaptured',
        data: { paymentId, orderId, amountCents: totalCents, currency: 'EUR', captureId: 'cap_1', capturedAt: t(5) },
      },
      5,
    ),
    ev(
      {
        type: 'ShipmentFailed',
        data: {
          orderId,
          shipmentId,
          reasonCode: 'ADDRESS_UNREACHABLE',
          reason: 'The carrier could not reach the address.',
          failedAt: t(6),
        },
      },
      6,
    ),
    ev({ type: 'StockReturned', data: { reservationId, orderId, items: stock, reason: 'shipment failed', returnedAt: t(7) } }, 7),
    ev(
      {
        type: 'PaymentRefunded',
        data: {
          paymentId,
          orderId,
          amountCents: totalCents,
          currency: 'EUR',
          refundId: 're_1',
          reason: 'shipment failed',
          refundedAt: t(8),
        },
      },
      8,
    ),
    ev(
      {
        type: 'OrderCancelled',
        data: { orderId, userId, reasonCode: 'SHIPMENT_FAILED', reason: 'The order could not be shipped.', cancelledAt: t(9) },
      },
      9,
    ),
  ];
  return { orderId, userId, paymentId, reservationId, shipmentId, productIds, events };
}

/** A deterministic pseudo-random source (mulberry32), so a failing permutation can be found again. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Every ordering of `items` (n! of them: keep n small). */
export function* permutations<T>(items: readonly T[]): Generator<T[]> {
  if (items.length <= 1) {
    yield [...items];
    return;
  }
  for (let i = 0; i < items.length; i++) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const p of permutations(rest)) yield [items[i]!, ...p];
  }
}
