// Catalog's events keep the price copy current; each runs in the event's inbox
// transaction (effects once, a redelivery is skipped).

import type { EventHandler } from '@souk/chassis';
import type { PriceChanged, ProductCreated, ProductDeleted, ProductRenamed } from '@souk/catalog/contract';
import type { OrdersDb } from '../db.ts';
import type { PriceCopy } from './price-copy.ts';

export function priceHandlers(copy: PriceCopy) {
  const created: EventHandler<ProductCreated, OrdersDb> = async (event, { db }) => {
    const d = event.data;
    await copy.putStates(db, [
      { productId: d.productId, name: d.name, priceCents: d.priceCents, currency: d.currency, asOf: new Date(d.createdAt) },
    ]);
  };
  const priceChanged: EventHandler<PriceChanged, OrdersDb> = async (event, { db }) => {
    // The event's time is the product's updatedAt of that change (catalog writes both from one clock reading).
    await copy.priceChanged(db, {
      productId: event.data.productId,
      priceCents: event.data.newPriceCents,
      currency: event.data.currency,
      at: new Date(event.time),
    });
  };
  const renamed: EventHandler<ProductRenamed, OrdersDb> = async (event, { db }) => {
    await copy.renamed(db, { productId: event.data.productId, name: event.data.name, at: new Date(event.time) });
  };
  const deleted: EventHandler<ProductDeleted, OrdersDb> = async (event, { db }) => {
    await copy.deleted(db, { productId: event.data.productId, at: new Date(event.data.deletedAt) });
  };
  return { created, priceChanged, renamed, deleted };
}
