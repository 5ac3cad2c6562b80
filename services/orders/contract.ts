// The orders service's public contract: TypeBox schemas of its HTTP API and
// of the events it publishes (OrderPlaced, OrderConfirmed, OrderCancelled).

import { defineEvent } from '@souk/chassis';
import { Type, type Static } from 'typebox';

export const API_PREFIX = '/api/v1/orders';
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

const Uuid = Type.String({ pattern: UUID_PATTERN, description: 'UUID' });
const Timestamp = Type.String({ format: 'date-time' });

// ---- events ------------------------------------------------------------------
// Content models stay open (no additionalProperties: false) so consumers on an
// older schema accept optional fields a newer one adds; event fields are looser
// than the API's (any ISO 4217 currency).

const EventCurrency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code.' });
const Cents = Type.Integer({ minimum: 0, description: 'Minor units (cents).' });

export const OrderLine = Type.Object({
  productId: Uuid,
  name: Type.String({ minLength: 1 }),
  quantity: Type.Integer({ minimum: 1 }),
  unitPriceCents: Cents,
  currency: EventCurrency,
});
export type OrderLine = Static<typeof OrderLine>;

/** A checkout began: the order exists, PENDING, and its saga has started. */
export const OrderPlaced = defineEvent({
  source: 'orders',
  name: 'OrderPlaced',
  schema: Type.Object({
    orderId: Uuid,
    userId: Uuid,
    items: Type.Array(OrderLine, { minItems: 1 }),
    totalCents: Cents,
    currency: EventCurrency,
    placedAt: Timestamp,
  }),
});
export type OrderPlaced = Static<typeof OrderPlaced.schema>;

/** The saga reserved the stock and authorized the payment: the order is CONFIRMED. Fulfilment starts from here. */
export const OrderConfirmed = defineEvent({
  source: 'orders',
  name: 'OrderConfirmed',
  schema: Type.Object({
    orderId: Uuid,
    userId: Uuid,
    items: Type.Array(OrderLine, { minItems: 1 }),
    totalCents: Cents,
    currency: EventCurrency,
    reservationId: Uuid,
    paymentId: Uuid,
    confirmedAt: Timestamp,
  }),
});
export type OrderConfirmed = Static<typeof OrderConfirmed.schema>;

/** The order will not be fulfilled: the saga compensated, or fulfilment failed after confirmation. */
export const OrderCancelled = defineEvent({
  source: 'orders',
  name: 'OrderCancelled',
  schema: Type.Object({
    orderId: Uuid,
    userId: Uuid,
    /** Stable, machine-readable: e.g. OUT_OF_STOCK, PAYMENT_DECLINED, PAYMENT_UNAVAILABLE, STEP_TIMED_OUT, SHIPMENT_FAILED. */
    reasonCode: Type.String({ minLength: 1 }),
    reason: Type.String({ minLength: 1, description: 'For people: what happened, in one sentence.' }),
    cancelledAt: Timestamp,
  }),
});
export type OrderCancelled = Static<typeof OrderCancelled.schema>;

// ---- HTTP API ----------------------------------------------------------------

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;
/** `Prefer: wait=N` is capped at this many seconds. */
export const MAX_WAIT_SECONDS = 30;
export const DEFAULT_PAYMENT_METHOD = 'tok_visa';

export const OrderStatus = Type.Union([Type.Literal('PENDING'), Type.Literal('CONFIRMED'), Type.Literal('CANCELLED')]);
export type OrderStatus = Static<typeof OrderStatus>;

export const OrderItem = Type.Object({
  productId: Uuid,
  name: Type.String(),
  quantity: Type.Integer({ minimum: 1 }),
  unitPriceCents: Cents,
  currency: Type.String(),
  lineTotalCents: Cents,
});
export type OrderItem = Static<typeof OrderItem>;

export const Order = Type.Object({
  id: Uuid,
  userId: Uuid,
  /** PENDING while the checkout saga runs; CONFIRMED once stock is reserved and the payment authorized; CANCELLED when it will not be fulfilled. */
  status: OrderStatus,
  /** Set when CANCELLED: OUT_OF_STOCK, PAYMENT_DECLINED, PAYMENT_UNAVAILABLE, STEP_TIMED_OUT, SHIPMENT_FAILED... */
  reasonCode: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
  items: Type.Array(OrderItem),
  totalCents: Cents,
  currency: Type.String(),
  paymentMethod: Type.String(),
  /** Inventory's reservation for this order (derived from the order id). */
  reservationId: Uuid,
  /** The payment in payments' ledger, and the provider's reference (derived from the order id). */
  paymentId: Uuid,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Order = Static<typeof Order>;

export const PlaceOrderBody = Type.Object(
  {
    paymentMethod: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9_-]{1,64}$',
        description: `A payment-provider token, e.g. tok_visa or tok_decline; default ${DEFAULT_PAYMENT_METHOD}.`,
      }),
    ),
  },
  { additionalProperties: false },
);
export type PlaceOrderBody = Static<typeof PlaceOrderBody>;

export const OrderParams = Type.Object({ id: Uuid });
export type OrderParams = Static<typeof OrderParams>;

export const OrderListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, description: `Page size, default ${DEFAULT_LIMIT}.` })),
  before: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'Cursor: the `nextBefore` of the previous page.' }),
  ),
});
export type OrderListQuery = Static<typeof OrderListQuery>;

export const OrderList = Type.Object({
  /** The caller's orders, newest first. */
  items: Type.Array(Order),
  nextBefore: Type.Union([Type.String(), Type.Null()], {
    description: 'Pass as `before` for the next page; null on the last page.',
  }),
});
export type OrderList = Static<typeof OrderList>;

const Phase = Type.Object({
  status: Type.Union([Type.Literal('PENDING'), Type.Literal('RUNNING'), Type.Literal('SUCCEEDED'), Type.Literal('FAILED')]),
  attempts: Type.Integer({ minimum: 0 }),
  startedAt: Type.Union([Timestamp, Type.Null()]),
  finishedAt: Type.Union([Timestamp, Type.Null()]),
  lastError: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
});

/** The checkout saga of an order, as its owner may see it (GET /api/v1/orders/{id}/saga). */
export const OrderSaga = Type.Object({
  orderId: Uuid,
  sagaId: Type.String(),
  name: Type.String(),
  status: Type.Union([
    Type.Literal('RUNNING'),
    Type.Literal('COMPENSATING'),
    Type.Literal('COMPLETED'),
    Type.Literal('COMPENSATED'),
    Type.Literal('PARKED'),
  ]),
  currentStep: Type.Union([Type.String(), Type.Null()]),
  failure: Type.Union([
    Type.Object({
      step: Type.String(),
      code: Type.String(),
      message: Type.String(),
      deadlineExceeded: Type.Boolean(),
      attempts: Type.Integer(),
    }),
    Type.Null(),
  ]),
  steps: Type.Array(Type.Object({ name: Type.String(), ...Phase.properties, compensation: Type.Union([Phase, Type.Null()]) })),
  log: Type.Array(
    Type.Object({
      seq: Type.Integer(),
      kind: Type.String(),
      step: Type.Union([Type.String(), Type.Null()]),
      attempt: Type.Union([Type.Integer(), Type.Null()]),
      errorCode: Type.Union([Type.String(), Type.Null()]),
      errorMessage: Type.Union([Type.String(), Type.Null()]),
      durationMs: Type.Union([Type.Integer(), Type.Null()]),
      at: Timestamp,
    }),
  ),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  finishedAt: Type.Union([Timestamp, Type.Null()]),
});
export type OrderSaga = Static<typeof OrderSaga>;

/** Test hook (ORDERS_TEST_HOOKS=true): PUT /_admin/saga-hooks. */
export const SagaHooksBody = Type.Object(
  {
    pauseBefore: Type.Union([
      Type.String({ minLength: 1, maxLength: 100, description: 'A step name, or <step>.compensate' }),
      Type.Null(),
    ]),
  },
  { additionalProperties: false },
);
export type SagaHooksBody = Static<typeof SagaHooksBody>;

export const SagaHooks = Type.Object({
  pauseBefore: Type.Union([Type.String(), Type.Null()]),
  /** Sagas waiting at the pause right now. */
  paused: Type.Array(Type.Object({ sagaId: Type.String(), step: Type.String(), since: Timestamp })),
});
export type SagaHooks = Static<typeof SagaHooks>;
