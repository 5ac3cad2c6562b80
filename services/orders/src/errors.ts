// The orders service's error codes; each is also listed in docs/errors.md.

import { defineErrors } from '@souk/chassis';

export const errors = defineErrors({
  idempotencyKeyMissing: {
    code: 'SOUK_ORDERS_IDEMPOTENCY_KEY_MISSING',
    status: 400,
    title: 'Idempotency-Key header required',
    description:
      'Placing an order needs an Idempotency-Key header (1-200 visible ASCII characters), so that a retried request cannot order twice.',
  },
  idempotencyKeyInvalid: {
    code: 'SOUK_ORDERS_IDEMPOTENCY_KEY_INVALID',
    status: 400,
    title: 'Idempotency-Key header is not valid',
    description: 'The Idempotency-Key must be a single header of 1-200 visible ASCII characters (a UUID is a good choice).',
  },
  idempotencyKeyReused: {
    code: 'SOUK_ORDERS_IDEMPOTENCY_KEY_REUSED',
    status: 422,
    title: 'Idempotency-Key already used for another request',
    description: 'This key placed an order with a different body; use a new key for a new order.',
  },
  cartEmpty: {
    code: 'SOUK_ORDERS_CART_EMPTY',
    status: 422,
    title: 'The cart is empty',
    description: 'There is nothing to order: add items to the cart first.',
  },
  cartInvalid: {
    code: 'SOUK_ORDERS_CART_INVALID',
    status: 422,
    title: 'The cart cannot be ordered as it is',
    description: 'The cart mixes currencies or totals more than the card processor authorizes; `detail` says which.',
  },
  pricesUnavailable: {
    code: 'SOUK_ORDERS_PRICES_UNAVAILABLE',
    status: 503,
    title: 'Current prices are not available',
    retryable: true,
    description:
      "A product in the cart is not in orders' price copy yet and the catalog did not answer for it; no order is placed at a price not confirmed. Retry after Retry-After seconds.",
  },
  productUnavailable: {
    code: 'SOUK_ORDERS_PRODUCT_UNAVAILABLE',
    status: 422,
    title: 'A product in the cart is no longer sold',
    description:
      'The catalog deleted a product the cart holds (`productIds` lists them); remove it from the cart and order again.',
  },
  cartUnavailable: {
    code: 'SOUK_ORDERS_CART_UNAVAILABLE',
    status: 503,
    title: 'The cart cannot be read right now',
    retryable: true,
    description: 'The cart service did not answer; nothing was ordered. Retry shortly with the same Idempotency-Key.',
  },
  notFound: {
    code: 'SOUK_ORDERS_NOT_FOUND',
    status: 404,
    title: 'Order not found',
    description: "No order with this id belongs to the caller (missing, or another user's: both look the same).",
  },
  cursorInvalid: {
    code: 'SOUK_ORDERS_CURSOR_INVALID',
    status: 400,
    title: 'The paging cursor is not valid',
    description: '`before` is not a `nextBefore` this service gave out.',
  },
  paymentRefused: {
    code: 'SOUK_ORDERS_PAYMENT_REFUSED',
    status: 409,
    title: 'The payment is not authorized',
    description:
      'Saga failure (not an HTTP answer): payments answered with a payment that is not authorized (failed or voided earlier); the order is cancelled.',
  },
  reservationNotHeld: {
    code: 'SOUK_ORDERS_RESERVATION_NOT_HELD',
    status: 409,
    title: 'The stock reservation is no longer held',
    description:
      'Saga failure (not an HTTP answer): a repeated reserve found the reservation expired or released (the saga was paused or down longer than its time to live); the order is cancelled.',
  },
  paymentPending: {
    code: 'SOUK_ORDERS_PAYMENT_PENDING',
    status: 503,
    title: 'The payment outcome is not known yet',
    retryable: true,
    description: 'Saga failure (not an HTTP answer): payments has not settled the authorization yet; the step is retried.',
  },
  notPending: {
    code: 'SOUK_ORDERS_NOT_PENDING',
    status: 409,
    title: 'The order is no longer pending',
    description: 'Saga failure (not an HTTP answer): the order to confirm was cancelled meanwhile; the saga compensates.',
  },
  unknownStep: {
    code: 'SOUK_ORDERS_UNKNOWN_STEP',
    status: 400,
    title: 'No such saga step',
    description: 'The test hook names a step the checkout saga does not have; `steps` lists the valid names.',
  },
});
