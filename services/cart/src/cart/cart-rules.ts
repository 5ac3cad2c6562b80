// The cart's rules as pure functions: expiry, quantity limits, what an
// ordered basket leaves in the cart, and the priced view of the lines.

import { MAX_LINES, MAX_QUANTITY, type Cart, type CartLine } from '../../contract.ts';
import { errors } from '../errors.ts';

/** The only currency the catalog sells in today; an empty cart says it too. */
export const DEFAULT_CURRENCY = 'EUR';

export interface StoredLine {
  productId: string;
  quantity: number;
}

/** What a cart read knows about one product's price. */
export interface PriceInfo {
  name: string;
  priceCents: number;
  currency: string;
  asOf: Date;
  /** The cached price, because catalog did not answer. */
  stale: boolean;
}

/** Like a Redis key's TTL: the cart is gone once the clock reaches expiresAt. */
export function isExpired(expiresAt: Date, now: number): boolean {
  return expiresAt.getTime() <= now;
}

export function expiryFrom(now: number, ttlSeconds: number): Date {
  return new Date(now + ttlSeconds * 1000);
}

/** The line's quantity after adding `adding` units; refuses a 51st product and more than 99 units. */
export function quantityAfterAdd(lines: readonly StoredLine[], productId: string, adding: number): number {
  const line = lines.find((l) => l.productId === productId);
  if (!line && lines.length >= MAX_LINES) {
    throw errors.tooManyLines({
      detail: `The cart already holds ${MAX_LINES} different products.`,
      extensions: { max: MAX_LINES },
    });
  }
  const quantity = (line?.quantity ?? 0) + adding;
  if (quantity > MAX_QUANTITY) {
    throw errors.quantityLimit({
      detail: `At most ${MAX_QUANTITY} units of a product fit in a cart; it holds ${line?.quantity ?? 0} already.`,
      extensions: { productId, quantity: line?.quantity ?? 0, max: MAX_QUANTITY },
    });
  }
  return quantity;
}

export interface AfterOrder {
  /** Lines that keep some units (more were in the cart than ordered). */
  update: StoredLine[];
  /** Lines the order took entirely. */
  remove: string[];
}

/**
 * The cart once the ordered units have left it. Units added after the order
 * was placed stay: only what was ordered is taken out.
 */
export function afterOrder(lines: readonly StoredLine[], ordered: readonly StoredLine[]): AfterOrder {
  const taken = new Map<string, number>();
  for (const o of ordered) taken.set(o.productId.toLowerCase(), (taken.get(o.productId.toLowerCase()) ?? 0) + o.quantity);
  const result: AfterOrder = { update: [], remove: [] };
  for (const line of lines) {
    const units = taken.get(line.productId);
    if (units === undefined) continue;
    const left = line.quantity - units;
    if (left > 0) result.update.push({ productId: line.productId, quantity: left });
    else result.remove.push(line.productId);
  }
  return result;
}

/** The cart as the API shows it. Lines without a price (catalog no longer has the product) are left out. */
export function priceCart(
  lines: readonly StoredLine[],
  prices: ReadonlyMap<string, PriceInfo>,
  available: ReadonlyMap<string, number> | undefined,
  expiresAt: Date | null,
): Cart {
  const items: CartLine[] = [];
  for (const line of lines) {
    const price = prices.get(line.productId);
    if (!price) continue;
    items.push({
      productId: line.productId,
      name: price.name,
      quantity: line.quantity,
      unitPriceCents: price.priceCents,
      currency: price.currency,
      lineTotalCents: price.priceCents * line.quantity,
      priceStale: price.stale,
      priceAsOf: price.asOf.toISOString(),
      // Inventory lists every product asked for (0 for unknown ones); missing means it could not be asked.
      available: available?.get(line.productId) ?? null,
    });
  }
  return {
    items,
    itemCount: items.reduce((n, l) => n + l.quantity, 0),
    totalCents: items.reduce((n, l) => n + l.lineTotalCents, 0),
    currency: items[0]?.currency ?? DEFAULT_CURRENCY,
    stale: items.some((l) => l.priceStale),
    expiresAt: items.length > 0 && expiresAt ? expiresAt.toISOString() : null,
  };
}
