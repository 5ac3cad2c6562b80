// The cart service's error codes; each is also listed in docs/errors.md.

import { defineErrors } from '@souk/chassis';

export const errors = defineErrors({
  productNotFound: {
    code: 'SOUK_CART_PRODUCT_NOT_FOUND',
    status: 422,
    title: 'No such product',
    description: 'The catalog has no product with this id, so it cannot go into a cart.',
  },
  itemNotFound: {
    code: 'SOUK_CART_ITEM_NOT_FOUND',
    status: 404,
    title: 'The product is not in the cart',
    description:
      'The cart has no line for this product (never added, removed, or the cart expired); add it with POST /api/v1/cart/items.',
  },
  quantityLimit: {
    code: 'SOUK_CART_QUANTITY_LIMIT',
    status: 422,
    title: 'Too many units of one product',
    description: 'A line holds at most 99 units; `quantity` says how many are in the cart already and `max` the limit.',
  },
  tooManyLines: {
    code: 'SOUK_CART_TOO_MANY_LINES',
    status: 422,
    title: 'The cart is full',
    description: 'A cart holds at most 50 different products; remove one before adding another.',
  },
  catalogUnavailable: {
    code: 'SOUK_CART_CATALOG_UNAVAILABLE',
    status: 503,
    title: 'The product cannot be checked right now',
    retryable: true,
    description: 'Adding a product the cart has never seen needs the catalog, which did not answer in time; try again shortly.',
  },
});
