// The pure rules of placing an order: the Idempotency-Key and the request's
// fingerprint, `Prefer: wait=N`, and turning the cart into order lines (or
// refusing it: empty, stale prices, mixed currencies).

import { createHash } from 'node:crypto';
import type { Cart } from '@souk/cart/contract';
import { MAX_WAIT_SECONDS, type OrderLine } from '../../contract.ts';
import { errors } from '../errors.ts';

/** The largest amount the payment provider authorizes at once (1,000,000.00). */
export const MAX_ORDER_TOTAL_CENTS = 100_000_000;

const KEY = /^[\x21-\x7e]{1,200}$/;

/** The Idempotency-Key header, required: 1-200 visible ASCII characters. */
export function idempotencyKeyOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') {
    throw errors.idempotencyKeyMissing(
      'Send an Idempotency-Key header (a UUID is a good choice) so that a retried request cannot order twice.',
    );
  }
  if (!KEY.test(value))
    throw errors.idempotencyKeyInvalid({
      detail: 'The Idempotency-Key must be one header of 1-200 visible ASCII characters.',
      extensions: { length: value.length },
    });
  return value;
}

/** What makes two requests "the same": the body with its defaults applied, hashed. */
export function fingerprintOf(body: { paymentMethod: string }): string {
  return createHash('sha256')
    .update(JSON.stringify({ paymentMethod: body.paymentMethod }))
    .digest('hex');
}

/** Seconds to wait for a final status: `Prefer: wait=N` (RFC 7240), capped; 0 without it. */
export function preferredWait(header: string | string[] | undefined): number {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  for (const value of values) {
    for (const part of value.split(/[,;]/)) {
      // Any number of digits: a huge wait is capped, not ignored.
      const m = /^\s*wait\s*=\s*"?(\d+)"?\s*$/i.exec(part);
      if (m) return Math.min(Number(m[1]), MAX_WAIT_SECONDS);
    }
  }
  return 0;
}

export interface OrderLines {
  items: OrderLine[];
  totalCents: number;
  currency: string;
}

/** The cart as order lines, at the cart's (current) prices; refuses what cannot be ordered. */
export function linesFromCart(cart: Cart, retryAfterSeconds: number): OrderLines {
  if (cart.items.length === 0) throw errors.cartEmpty('Your cart is empty: add items before placing an order.');
  const stale = cart.items.filter((l) => l.priceStale);
  if (cart.stale || stale.length > 0) {
    throw errors.pricesUnavailable({
      detail: 'Current prices cannot be confirmed right now (the catalog is not answering); nothing was ordered.',
      headers: { 'retry-after': String(retryAfterSeconds) },
      extensions: { retryAfter: retryAfterSeconds, productIds: stale.map((l) => l.productId) },
    });
  }
  const currencies = [...new Set(cart.items.map((l) => l.currency))];
  if (currencies.length !== 1 || !/^[A-Z]{3}$/.test(currencies[0]!)) {
    throw errors.cartInvalid({
      detail: `An order is in one currency; the cart has ${currencies.join(', ')}.`,
      extensions: { currencies },
    });
  }
  const items = cart.items.map((l) => ({
    productId: l.productId.toLowerCase(),
    name: l.name || l.productId,
    quantity: l.quantity,
    unitPriceCents: l.unitPriceCents,
    currency: l.currency,
  }));
  const totalCents = items.reduce((sum, l) => sum + l.unitPriceCents * l.quantity, 0);
  if (totalCents > MAX_ORDER_TOTAL_CENTS) {
    throw errors.cartInvalid({
      detail: `An order may total at most ${MAX_ORDER_TOTAL_CENTS / 100} (the card processor's limit); this cart totals ${totalCents / 100}.`,
      extensions: { totalCents, maxTotalCents: MAX_ORDER_TOTAL_CENTS },
    });
  }
  return { items, totalCents, currency: currencies[0]! };
}
