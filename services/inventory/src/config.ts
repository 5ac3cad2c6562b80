// The inventory service's own environment variables; the chassis validates them with the
// common ones at start (the only place they are read).

import { Type } from 'typebox';
import { MAX_TTL_SECONDS } from '../contract.ts';

export const InventoryConfig = Type.Object({
  INVENTORY_LOW_STOCK_THRESHOLD: Type.Integer({
    default: 5,
    minimum: 0,
    description: 'Threshold of new levels: StockLow when available falls to it.',
  }),
  INVENTORY_RESERVATION_TTL_SECONDS: Type.Integer({
    default: 600,
    minimum: 1,
    maximum: MAX_TTL_SECONDS,
    description: 'How long a reservation is held when the reserve names no ttlSeconds.',
  }),
  INVENTORY_EXPIRY_SWEEP_MS: Type.Integer({
    default: 1000,
    minimum: 10,
    description: 'How often held reservations past their expiry are released.',
  }),
  INVENTORY_NEW_PRODUCT_STOCK: Type.Integer({
    default: 0,
    minimum: 0,
    description: "Units of a level opened by catalog's ProductCreated.",
  }),
  INVENTORY_SEED_STOCK: Type.Integer({
    default: 0,
    minimum: 0,
    description: 'When > 0: once per database, every catalog product gets a level with this many units.',
  }),
});
