// Reading a cart: its lines from the store, current prices from catalog (or
// the cached ones), availability from inventory, all put together by the
// pure priceCart. Lines of products catalog no longer has are dropped.

import type { Logger } from '@souk/chassis';
import type { Cart } from '../../contract.ts';
import type { CatalogPrices } from '../prices/catalog-prices.ts';
import type { Availability } from '../stock/availability.ts';
import { priceCart } from './cart-rules.ts';
import type { CartStore } from './cart-store.ts';

export interface CartReader {
  read(userId: string): Promise<Cart>;
}

export function createCartReader(deps: {
  store: CartStore;
  prices: CatalogPrices;
  availability: Availability;
  log: Logger;
}): CartReader {
  return {
    async read(userId) {
      const cart = await deps.store.read(userId);
      if (!cart || cart.lines.length === 0) return priceCart([], new Map(), undefined, null);
      const ids = cart.lines.map((l) => l.productId);
      // Both lookups at once: each has its own budget, so the slower one bounds the read.
      const [{ prices, gone }, available] = await Promise.all([deps.prices.prices(ids), deps.availability.of(ids)]);
      if (gone.length > 0) {
        // It can no longer be bought; keeping the line would only fail at checkout.
        deps.log.info({ userId, productIds: gone }, 'products no longer in the catalog removed from a cart');
        await deps.store.dropLines(userId, gone);
      }
      return priceCart(cart.lines, prices, available, cart.expiresAt);
    },
  };
}
