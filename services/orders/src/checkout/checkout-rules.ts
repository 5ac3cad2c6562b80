// The pure rules of placing an order: the Idempotency-Key and the request's
// fingerprint, `Prefer: wait=N`, and pricing the cart's lines from orders' copy
// of the catalog (or refusing them: empty, no longer sold, mixed currencies).

import { createHash } from 'node:crypto';
import { MAX_WAIT_SECONDS, type OrderLine } from '../../contract.ts';
import { errors } from '../errors.ts';
import type { CopiedProduct } from '../prices/price-copy.ts';

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

/** A cart line as cart gives it to orders: what and how many, no price. */
export interface WantedLine {
  productId: string;
  quantity: number;
}

/** A product the copy can price: it is sold and both its name and its price are known. */
export function isPriceable(
  p: CopiedProduct | undefined,
): p is CopiedProduct & { name: string; priceCents: number; currency: string } {
  return p !== undefined && p.active && p.name !== null && p.priceCents !== null && p.currency !== null;
}

/**
 * The products the copy cannot answer for: never heard of, or only partly (an
 * event carried only the price or the name). Checkout asks catalog for these.
 * A deleted product is known: it is refused, not looked up.
 */
export function toLookUp(lines: readonly WantedLine[], copy: ReadonlyMap<string, CopiedProduct>): string[] {
  const ids = new Set(lines.map((l) => l.productId.toLowerCase()));
  return [...ids].filter((id) => {
    const p = copy.get(id);
    return p === undefined || (p.active && !isPriceable(p));
  });
}

/** The cart's lines as order lines, at the copy's prices; refuses what cannot be ordered. */
export function priceLines(lines: readonly WantedLine[], copy: ReadonlyMap<string, CopiedProduct>): OrderLines {
  if (lines.length === 0) throw errors.cartEmpty('Your cart is empty: add items before placing an order.');
  const notSold = [...new Set(lines.map((l) => l.productId.toLowerCase()))].filter((id) => !isPriceable(copy.get(id)));
  if (notSold.length > 0) {
    throw errors.productUnavailable({
      detail: `The catalog no longer sells ${notSold.length === 1 ? 'a product' : 'some products'} in your cart; remove ${notSold.length === 1 ? 'it' : 'them'} and try again. Nothing was ordered.`,
      extensions: { productIds: notSold },
    });
  }
  const items = lines.map((l) => {
    const p = copy.get(l.productId.toLowerCase()) as CopiedProduct & { name: string; priceCents: number; currency: string };
    return { productId: p.productId, name: p.name, quantity: l.quantity, unitPriceCents: p.priceCents, currency: p.currency };
  });
  const currencies = [...new Set(items.map((l) => l.currency))];
  if (currencies.length !== 1 || !/^[A-Z]{3}$/.test(currencies[0]!)) {
    throw errors.cartInvalid({
      detail: `An order is in one currency; the cart has ${currencies.join(', ')}.`,
      extensions: { currencies },
    });
  }
  const totalCents = items.reduce((sum, l) => sum + l.unitPriceCents * l.quantity, 0);
  if (totalCents > MAX_ORDER_TOTAL_CENTS) {
    throw errors.cartInvalid({
      detail: `An order may total at most ${MAX_ORDER_TOTAL_CENTS / 100} (the card processor's limit); this cart totals ${totalCents / 100}.`,
      extensions: { totalCents, maxTotalCents: MAX_ORDER_TOTAL_CENTS },
    });
  }
  return { items, totalCents, currency: currencies[0]! };
}
