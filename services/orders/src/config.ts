// The orders service's own environment variables (the chassis validates them
// with the common ones at start); the rest of the service reads the result.

import { Type, type Static } from 'typebox';

export const DEFAULT_STEP_TIMEOUT_MS = 15_000;
export const DEFAULT_CAPTURE_TIMEOUT_MS = 300_000;
// Above payments' own worst case against a slow provider (3 attempts of 2 s plus back-off).
export const DEFAULT_STEP_ATTEMPT_TIMEOUT_MS = 8_000;
export const DEFAULT_STEP_RETRY_BASE_MS = 200;
export const DEFAULT_STEP_RETRY_CAP_MS = 2_000;
export const DEFAULT_COMPENSATION_RETRY_BASE_MS = 500;
export const DEFAULT_COMPENSATION_RETRY_CAP_MS = 30_000;
export const DEFAULT_RESERVATION_TTL_SECONDS = 900;
export const DEFAULT_PRICES_RETRY_AFTER_SECONDS = 5;
export const DEFAULT_CART_TIMEOUT_MS = 3_000;
export const DEFAULT_CATALOG_TIMEOUT_MS = 1_000;
export const DEFAULT_SAGA_LEASE_MS = 15_000;
export const DEFAULT_SAGA_POLL_MS = 1_000;
export const DEFAULT_COMPENSATION_PARK_AFTER = 10;

export const OrdersConfig = Type.Object({
  ORDERS_STEP_TIMEOUT_MS: Type.Integer({
    default: DEFAULT_STEP_TIMEOUT_MS,
    minimum: 100,
    maximum: 3_600_000,
    description:
      'Deadline of each remote saga step (reserve, authorize, capture): retried until then, then the saga compensates.',
  }),
  ORDERS_CAPTURE_TIMEOUT_MS: Type.Integer({
    default: DEFAULT_CAPTURE_TIMEOUT_MS,
    minimum: 100,
    maximum: 24 * 3_600_000,
    description:
      'Deadline of the capture, after the order was confirmed: retried this long (a provider outage delays the money) before the saga undoes the order.',
  }),
  ORDERS_STEP_ATTEMPT_TIMEOUT_MS: Type.Integer({
    default: DEFAULT_STEP_ATTEMPT_TIMEOUT_MS,
    minimum: 50,
    maximum: 600_000,
    description: 'Timeout of one attempt of a saga step or compensation.',
  }),
  ORDERS_STEP_RETRY_BASE_MS: Type.Integer({ default: DEFAULT_STEP_RETRY_BASE_MS, minimum: 1, maximum: 60_000 }),
  ORDERS_STEP_RETRY_CAP_MS: Type.Integer({ default: DEFAULT_STEP_RETRY_CAP_MS, minimum: 1, maximum: 600_000 }),
  ORDERS_COMPENSATION_RETRY_BASE_MS: Type.Integer({ default: DEFAULT_COMPENSATION_RETRY_BASE_MS, minimum: 1, maximum: 600_000 }),
  ORDERS_COMPENSATION_RETRY_CAP_MS: Type.Integer({
    default: DEFAULT_COMPENSATION_RETRY_CAP_MS,
    minimum: 1,
    maximum: 3_600_000,
    description:
      'Longest wait between compensation attempts: with SAGA_COMPENSATION_PARK_AFTER it sets how long a compensation keeps trying before parking.',
  }),
  ORDERS_RESERVATION_TTL_SECONDS: Type.Integer({
    // At least twice the margin confirmOrder needs left on the reservation.
    default: DEFAULT_RESERVATION_TTL_SECONDS,
    minimum: 60,
    maximum: 7 * 24 * 3600,
    description: 'How long inventory holds the reserved units before they expire (the commit comes with OrderConfirmed).',
  }),
  ORDERS_CART_TIMEOUT_MS: Type.Integer({ default: DEFAULT_CART_TIMEOUT_MS, minimum: 50, maximum: 60_000 }),
  ORDERS_CATALOG_TIMEOUT_MS: Type.Integer({
    default: DEFAULT_CATALOG_TIMEOUT_MS,
    minimum: 50,
    maximum: 60_000,
    description:
      "Budget of one catalog list call: the price copy's backfill pages, and a checkout's lookup of products the copy does not know.",
  }),
  ORDERS_PRICES_RETRY_AFTER_SECONDS: Type.Integer({
    default: DEFAULT_PRICES_RETRY_AFTER_SECONDS,
    minimum: 1,
    maximum: 3600,
    description: 'Retry-After of the 503 given when a product is not in the price copy and catalog does not answer for it.',
  }),
  ORDERS_SAGA_LEASE_MS: Type.Integer({ default: DEFAULT_SAGA_LEASE_MS, minimum: 500, maximum: 600_000 }),
  ORDERS_SAGA_POLL_MS: Type.Integer({ default: DEFAULT_SAGA_POLL_MS, minimum: 20, maximum: 60_000 }),
  SAGA_COMPENSATION_PARK_AFTER: Type.Integer({
    default: DEFAULT_COMPENSATION_PARK_AFTER,
    minimum: 1,
    maximum: 10_000,
    description: 'Failed attempts of one compensation before the saga is PARKED for an operator.',
  }),
  ORDERS_TEST_HOOKS: Type.Boolean({
    default: false,
    description: 'Enables PUT /_admin/saga-hooks (pause the saga before a step). Never in production.',
  }),
});
export type OrdersConfig = Static<typeof OrdersConfig>;
