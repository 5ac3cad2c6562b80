// The cart as the API shows it, put together by the pure priceCart. A read
// (the cart page) asks catalog for current prices (or shows the cached ones)
// and inventory for availability; the answer to a write shows the cart the
// write committed, priced from what catalog said lately, without asking
// inventory. Lines of products catalog no longer has are dropped either way.

import type { Logger } from '@souk/chassis';
import type { Cart } from '../../contract.ts';
import type { CatalogPrices, PriceLookup } from '../prices/catalog-prices.ts';
import type { Availability } from '../stock/availability.ts';
import { priceCart } from './cart-rules.ts';
import type { CartStore, StoredCart } from './cart-store.ts';

export interface CartReader {
  /** GET: current prices and availability. */
  read(userId: string): Promise<Cart>;
  /** The answer to a write: `cart` as it committed, at the prices catalog gave lately; availability not asked. */
  show(userId: string, cart: StoredCart): Promise<Cart>;
}

const EMPTY = () => priceCart([], new Map(), undefined, null);

export function createCartReader(deps: {
  store: CartStore;
  prices: CatalogPrices;
  availability: Availability;
  log: Logger;
}): CartReader {
  async function dropGone(userId: string, lookup: PriceLookup): Promise<void> {
    if (lookup.gone.length === 0) return;
    // It can no longer be bought; keeping the line would only fail at checkout.
    deps.log.info({ userId, productIds: lookup.gone }, 'products no longer in the catalog removed from a cart');
    await deps.store.dropLines(userId, lookup.gone);
  }

  return {
    async read(userId) {
      const cart = await deps.store.read(userId);
      if (!cart || cart.lines.length === 0) return EMPTY();
      const ids = cart.lines.map((l) => l.productId);
      // Both lookups at once: each has its own budget, so the slower one bounds the read.
      const [lookup, available] = await Promise.all([deps.prices.prices(ids), deps.availability.of(ids)]);
      await dropGone(userId, lookup);
      return priceCart(cart.lines, lookup.prices, available, cart.expiresAt);
    },

    async show(userId, cart) {
      if (cart.lines.length === 0) return EMPTY();
      const lookup = await deps.prices.known(cart.lines.map((l) => l.productId));
      await dropGone(userId, lookup);
      return priceCart(cart.lines, lookup.prices, undefined, cart.expiresAt);
    },
  };
}
