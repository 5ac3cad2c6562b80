// Choreography: the cart reacts to other services' events, nobody calls it.
// OrderConfirmed takes the ordered units out of the buyer's cart;
// PriceChanged refreshes the cached price used when catalog does not answer
// (and this process's memory of the product, so its next write asks catalog).
// Both run in the event's inbox transaction.

import type { EventHandler } from '@souk/chassis';
import type { PriceChanged } from '@souk/catalog/contract';
import type { OrderConfirmed } from '@souk/orders/contract';
import type { CartDb } from '../db.ts';
import type { CartStore } from '../cart/cart-store.ts';
import type { CatalogPrices } from '../prices/catalog-prices.ts';
import { applyPriceChange } from '../prices/price-cache.ts';

export function removeOrderedItems(store: CartStore): EventHandler<OrderConfirmed, CartDb> {
  return async (event, { db }) => {
    const { userId, items } = event.data;
    await store.removeOrdered(
      db,
      userId.toLowerCase(),
      items.map((i) => ({ productId: i.productId, quantity: i.quantity })),
    );
  };
}

export function refreshCachedPrice(catalog: Pick<CatalogPrices, 'forget'>): EventHandler<PriceChanged, CartDb> {
  return async (event, { db }) => {
    catalog.forget(event.data.productId);
    await applyPriceChange(db, {
      productId: event.data.productId,
      priceCents: event.data.newPriceCents,
      currency: event.data.currency,
      // The time of the change at catalog: a lookup answered after it is not overwritten with it.
      at: new Date(event.time),
    });
  };
}
