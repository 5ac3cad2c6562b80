// The order-history service's public contract: TypeBox schemas of its HTTP
// API (the read model of a user's orders, projection lag, rebuild). It
// publishes no events.

import { Type, type Static } from 'typebox';

export const API_PREFIX = '/api/v1/order-history';
export const ADMIN_REBUILD_PATH = '/_admin/order-history/rebuild';
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;
/** The producers whose events the read model is built from. */
export const PRODUCERS = ['orders', 'payments', 'inventory', 'shipping'] as const;

const Uuid = Type.String({ pattern: UUID_PATTERN, description: 'UUID' });
const Time = Type.String({ format: 'date-time' });
const MaybeTime = Type.Union([Time, Type.Null()]);
const MaybeText = Type.Union([Type.String(), Type.Null()]);
const MaybeInt = Type.Union([Type.Integer(), Type.Null()]);

export const OrderStatus = Type.Union([Type.Literal('PENDING'), Type.Literal('CONFIRMED'), Type.Literal('CANCELLED')]);
export type OrderStatus = Static<typeof OrderStatus>;

export const HistoryLine = Type.Object({
  productId: Uuid,
  name: Type.String(),
  quantity: Type.Integer({ minimum: 1 }),
  unitPriceCents: Type.Integer({ minimum: 0 }),
  currency: Type.String(),
});

export const PaymentStatus = Type.Union([
  Type.Literal('FAILED'),
  Type.Literal('AUTHORIZED'),
  Type.Literal('CAPTURED'),
  Type.Literal('VOIDED'),
  Type.Literal('PARTIALLY_REFUNDED'),
  Type.Literal('REFUNDED'),
]);
export const PaymentSummary = Type.Object({
  status: PaymentStatus,
  paymentId: Uuid,
  amountCents: MaybeInt,
  currency: MaybeText,
  authorizedAt: MaybeTime,
  capturedAt: MaybeTime,
  voidedAt: MaybeTime,
  failedAt: MaybeTime,
  refundedAt: MaybeTime,
  refundedCents: Type.Integer({ minimum: 0 }),
  /** Why it failed or was voided (the producer's words). */
  failureCode: MaybeText,
  reason: MaybeText,
});
export type PaymentSummary = Static<typeof PaymentSummary>;

export const StockStatus = Type.Union([
  Type.Literal('RESERVED'),
  Type.Literal('RELEASED'),
  Type.Literal('COMMITTED'),
  Type.Literal('RETURNED'),
]);
export const StockSummary = Type.Object({
  status: StockStatus,
  reservationId: Uuid,
  reservedAt: MaybeTime,
  expiresAt: MaybeTime,
  releasedAt: MaybeTime,
  /** 'released' or 'expired' when the units went back before the order was confirmed. */
  releaseReason: MaybeText,
  committedAt: MaybeTime,
  returnedAt: MaybeTime,
});
export type StockSummary = Static<typeof StockSummary>;

export const ShippingStatus = Type.Union([Type.Literal('SHIPPED'), Type.Literal('FAILED')]);
export const ShippingSummary = Type.Object({
  status: ShippingStatus,
  shipmentId: Uuid,
  carrier: MaybeText,
  trackingNumber: MaybeText,
  shippedAt: MaybeTime,
  failedAt: MaybeTime,
  reasonCode: MaybeText,
  reason: MaybeText,
});
export type ShippingSummary = Static<typeof ShippingSummary>;

/** One order as the read model has it: everything the events said about it, in one document. */
export const OrderHistoryItem = Type.Object({
  orderId: Uuid,
  status: OrderStatus,
  reasonCode: MaybeText,
  reason: MaybeText,
  /** Null until OrderPlaced (or OrderConfirmed) has arrived. */
  items: Type.Union([Type.Array(HistoryLine), Type.Null()]),
  totalCents: MaybeInt,
  currency: MaybeText,
  /** Null until payments has said something about the order; shipping and stock likewise. */
  payment: Type.Union([PaymentSummary, Type.Null()]),
  stock: Type.Union([StockSummary, Type.Null()]),
  shipping: Type.Union([ShippingSummary, Type.Null()]),
  placedAt: Time,
  confirmedAt: MaybeTime,
  cancelledAt: MaybeTime,
  /** The latest business time among the facts (when the order last changed). */
  updatedAt: Time,
  /** The newest event time the read model has seen for this order. */
  lastEventAt: Time,
});
export type OrderHistoryItem = Static<typeof OrderHistoryItem>;

export const ProducerLag = Type.Object({
  producer: Type.String(),
  /** Feed transport: the cursor in the producer's feed (null on NATS, or before the first read). */
  position: MaybeInt,
  /** Events of this producer handled since the read model was (re)built. */
  eventsHandled: Type.Integer({ minimum: 0 }),
  /** The newest event time handled. */
  lastEventAt: MaybeTime,
  /** Events waiting; null when this instance cannot tell (another instance reads the feed, or nothing read yet). */
  pending: MaybeInt,
  /** 0 when caught up; else the age of the newest event handled; null when unknown. */
  lagSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
});
export type ProducerLag = Static<typeof ProducerLag>;

export const RebuildStatus = Type.Object({
  id: Uuid,
  state: Type.Union([Type.Literal('running'), Type.Literal('done')]),
  requestedBy: MaybeText,
  startedAt: Time,
  finishedAt: MaybeTime,
  rowsBefore: Type.Integer({ minimum: 0 }),
  /** Rows in the read model now. */
  rows: Type.Integer({ minimum: 0 }),
  /** Per producer: events to handle again (what the old model had) and handled so far. */
  producers: Type.Array(
    Type.Object({ producer: Type.String(), target: Type.Integer({ minimum: 0 }), handled: Type.Integer({ minimum: 0 }) }),
  ),
});
export type RebuildStatus = Static<typeof RebuildStatus>;

export const ProjectionLag = Type.Object({
  transport: Type.Union([Type.Literal('feed'), Type.Literal('nats')]),
  /** The largest known lag among the producers (null when none is known). */
  lagSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
  rows: Type.Integer({ minimum: 0 }),
  producers: Type.Array(ProducerLag),
  /** The latest rebuild, if any. */
  rebuild: Type.Union([RebuildStatus, Type.Null()]),
});
export type ProjectionLag = Static<typeof ProjectionLag>;

export const HistoryListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, description: `Page size, default ${DEFAULT_LIMIT}.` })),
  before: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Cursor: `nextBefore` of the previous page.' })),
});
export type HistoryListQuery = Static<typeof HistoryListQuery>;

export const HistoryList = Type.Object({
  /** The caller's orders, newest first (by placedAt). */
  items: Type.Array(OrderHistoryItem),
  nextBefore: Type.Union([Type.String(), Type.Null()], {
    description: 'Pass as `before` for the next page; null on the last page.',
  }),
  /** How far behind the events the read model is: an order placed a moment ago may not be listed yet. */
  projection: Type.Object({ lagSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]), rebuilding: Type.Boolean() }),
});
export type HistoryList = Static<typeof HistoryList>;

export const OrderParams = Type.Object({ orderId: Uuid });
export type OrderParams = Static<typeof OrderParams>;

export const RebuildAccepted = Type.Object({ rebuild: RebuildStatus });
export type RebuildAccepted = Static<typeof RebuildAccepted>;
