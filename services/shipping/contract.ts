// The shipping service's public contract: TypeBox schemas of its HTTP API and
// of the events it publishes (OrderShipped, ShipmentFailed). A shipment ships
// only once its stock is committed AND its payment captured (see README.md).

import { defineEvent } from '@souk/chassis';
import { Type, type Static } from 'typebox';

export const API_PREFIX = '/api/v1/shipments';
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

const Uuid = Type.String({ pattern: UUID_PATTERN, description: 'UUID' });
const Timestamp = Type.String({ format: 'date-time' });

// ---- HTTP API ----------------------------------------------------------------

/** The simulated carrier every shipment goes with. */
export const CARRIER = 'souk-post';
/** Where an admin reads and changes the simulation at run time. */
export const BEHAVIOUR_PATH = '/_admin/shipping/behaviour';
export const MAX_DELAY_MS = 24 * 3600 * 1000;

/**
 * AWAITING_PAYMENT: the stock is committed, the payment's capture is not known yet (nothing ships unpaid).
 * PENDING: both known; the warehouse worker ships it at shipAfter (SHIPPED) or the carrier refuses it (FAILED).
 * CANCELLED: the order was cancelled (orders' OrderCancelled) before the parcel left; it never ships.
 */
export const ShipmentStatus = Type.Union([
  Type.Literal('AWAITING_PAYMENT'),
  Type.Literal('PENDING'),
  Type.Literal('SHIPPED'),
  Type.Literal('FAILED'),
  Type.Literal('CANCELLED'),
]);
export type ShipmentStatus = Static<typeof ShipmentStatus>;

export const ShipmentLine = Type.Object({ productId: Uuid, quantity: Type.Integer({ minimum: 1 }) });

export const Shipment = Type.Object({
  id: Uuid,
  orderId: Uuid,
  reservationId: Uuid,
  status: ShipmentStatus,
  items: Type.Array(ShipmentLine),
  /** Null until shipped. */
  carrier: Type.Union([Type.String(), Type.Null()]),
  trackingNumber: Type.Union([Type.String(), Type.Null()]),
  /**
   * Null unless FAILED or CANCELLED: machine-readable (FAILED: e.g. CARRIER_REFUSED; CANCELLED: the order's
   * cancellation code, e.g. PAYMENT_UNAVAILABLE), and for people.
   */
  reasonCode: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  /**
   * Not before this time: SHIPPING_DELAY_MS after the stock was committed, moved to the moment the
   * capture became known if that is later. While AWAITING_PAYMENT, the earliest it could go.
   */
  shipAfter: Timestamp,
  /** From payments' PaymentCaptured: the captured payment and its capture time; null until known. */
  paymentId: Type.Union([Uuid, Type.Null()]),
  paidAt: Type.Union([Timestamp, Type.Null()]),
  shippedAt: Type.Union([Timestamp, Type.Null()]),
  failedAt: Type.Union([Timestamp, Type.Null()]),
  /** When shipping cancelled it (the order's OrderCancelled handled); null unless CANCELLED. */
  cancelledAt: Type.Union([Timestamp, Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Shipment = Static<typeof Shipment>;

export const ShipmentParams = Type.Object({ orderId: Uuid });

export const ShippingBehaviour = Type.Object({
  failureRate: Type.Number({ minimum: 0, maximum: 1, description: 'Share of shipments the carrier refuses (ShipmentFailed).' }),
  delayMs: Type.Integer({
    minimum: 0,
    maximum: MAX_DELAY_MS,
    description: 'Time between the stock committed and the parcel shipped (never before the payment is captured).',
  }),
  /** Null while the configuration (SHIPPING_FAILURE_RATE, SHIPPING_DELAY_MS) applies unchanged. */
  updatedAt: Type.Union([Timestamp, Type.Null()]),
});
export type ShippingBehaviour = Static<typeof ShippingBehaviour>;

/** PATCH: the fields it names change, fields left out keep their value (at least one field). */
export const BehaviourChange = Type.Object(
  {
    failureRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    delayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_DELAY_MS })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type BehaviourChange = Static<typeof BehaviourChange>;

// ---- events ------------------------------------------------------------------
// Open content models (no additionalProperties: false), see catalog/contract.ts.

/** The committed and paid-for units left the warehouse (never before payments' PaymentCaptured for the order). */
export const OrderShipped = defineEvent({
  source: 'shipping',
  name: 'OrderShipped',
  schema: Type.Object({
    orderId: Uuid,
    shipmentId: Uuid,
    carrier: Type.String({ minLength: 1 }),
    trackingNumber: Type.String({ minLength: 1 }),
    shippedAt: Timestamp,
  }),
});
export type OrderShipped = Static<typeof OrderShipped.schema>;

/**
 * The shipment could not be made. Its compensations are choreographed too:
 * inventory returns the units (StockReturned), payments refunds (PaymentRefunded),
 * orders cancels the order (OrderCancelled with reasonCode SHIPMENT_FAILED).
 */
export const ShipmentFailed = defineEvent({
  source: 'shipping',
  name: 'ShipmentFailed',
  schema: Type.Object({
    orderId: Uuid,
    shipmentId: Uuid,
    reasonCode: Type.String({ minLength: 1 }),
    reason: Type.String({ minLength: 1 }),
    failedAt: Timestamp,
  }),
});
export type ShipmentFailed = Static<typeof ShipmentFailed.schema>;
