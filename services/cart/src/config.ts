// The cart service's own environment variables; the chassis validates them
// with the common ones at start.

import { Type, type Static } from 'typebox';

export const DEFAULT_CART_TTL_SECONDS = 30 * 24 * 3600;
export const DEFAULT_CATALOG_TIMEOUT_MS = 1_000;
export const DEFAULT_INVENTORY_TIMEOUT_MS = 1_000;
export const DEFAULT_PRODUCT_FRESH_MS = 10_000;
export const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

export const CartConfig = Type.Object({
  CART_TTL_SECONDS: Type.Integer({
    default: DEFAULT_CART_TTL_SECONDS,
    minimum: 1,
    description: 'a cart not written to for this long is forgotten',
  }),
  CART_CATALOG_TIMEOUT_MS: Type.Integer({
    default: DEFAULT_CATALOG_TIMEOUT_MS,
    minimum: 1,
    maximum: 60_000,
    description: 'budget of the price lookups of one cart read (retries included); then cached prices',
  }),
  CART_PRODUCT_FRESH_MS: Type.Integer({
    default: DEFAULT_PRODUCT_FRESH_MS,
    minimum: 0,
    maximum: 3_600_000,
    description:
      'how long what catalog said of a product is taken as current by writes (the check of an added product, the prices of the answer); 0: ask every time. A read of the cart always asks',
  }),
  CART_INVENTORY_TIMEOUT_MS: Type.Integer({
    default: DEFAULT_INVENTORY_TIMEOUT_MS,
    minimum: 1,
    maximum: 60_000,
    description: 'budget of the availability lookup of one cart read; then available is null',
  }),
  CART_SWEEP_INTERVAL_MS: Type.Integer({
    default: DEFAULT_SWEEP_INTERVAL_MS,
    minimum: 10,
    description: 'how often expired carts are deleted',
  }),
});
export type CartConfig = Static<typeof CartConfig>;
