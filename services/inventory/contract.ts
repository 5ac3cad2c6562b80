// The inventory service's public contract: TypeBox schemas of its HTTP API and
// of the events it publishes (reservations' life cycle and StockLow).

import { defineEvent } from '@souk/chassis';
import { Type, type Static } from 'typebox';

export const API_PREFIX = '/api/v1/inventory';
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

const Uuid = Type.String({ pattern: UUID_PATTERN, description: 'UUID' });
const Timestamp = Type.String({ format: 'date-time' });

/** A product and a number of its units (in events and reservations). */
export const StockLine = Type.Object({ productId: Uuid, quantity: Type.Integer({ minimum: 1 }) });
export type StockLine = Static<typeof StockLine>;

// ---- HTTP API ----------------------------------------------------------------

/** Caps that keep every sum inside a PostgreSQL integer. */
export const MAX_ON_HAND = 1_000_000_000;
export const MAX_LINE_QUANTITY = 100_000;
export const MAX_LINES = 100;
export const MAX_TTL_SECONDS = 7 * 24 * 3600;
/** Products one GET /api/v1/inventory?productIds= may ask for. */
export const MAX_PRODUCT_IDS = 100;

export const StockLevel = Type.Object({
  productId: Uuid,
  onHand: Type.Integer({ minimum: 0, description: 'Units in the warehouse, reserved ones included.' }),
  reserved: Type.Integer({ minimum: 0, description: 'Units set aside for orders not yet confirmed.' }),
  available: Type.Integer({ minimum: 0, description: 'onHand - reserved: what a new reservation can take.' }),
  lowStockThreshold: Type.Integer({ minimum: 0, description: 'StockLow is published when available falls to this or below.' }),
  updatedAt: Type.Union([Timestamp, Type.Null()], {
    description: 'Null for a product inventory has no level for (listed with 0 units).',
  }),
});
export type StockLevel = Static<typeof StockLevel>;

export const StockLevelList = Type.Object({ items: Type.Array(StockLevel) });
export type StockLevelList = Static<typeof StockLevelList>;

export const LevelParams = Type.Object({ productId: Uuid });
export const LevelListQuery = Type.Object({
  productIds: Type.String({
    minLength: 1,
    maxLength: MAX_PRODUCT_IDS * 37,
    description: `Comma-separated product ids (at most ${MAX_PRODUCT_IDS}).`,
  }),
});

export const PutLevelBody = Type.Object(
  {
    onHand: Type.Integer({
      minimum: 0,
      maximum: MAX_ON_HAND,
      description: 'Units in the warehouse; not below the reserved units.',
    }),
    lowStockThreshold: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_ON_HAND })),
  },
  { additionalProperties: false },
);
export type PutLevelBody = Static<typeof PutLevelBody>;

/** HELD until committed (COMMITTED, then RETURNED if the shipment fails), released (RELEASED) or expired (EXPIRED). */
export const ReservationStatus = Type.Union([
  Type.Literal('HELD'),
  Type.Literal('RELEASED'),
  Type.Literal('COMMITTED'),
  Type.Literal('RETURNED'),
  Type.Literal('EXPIRED'),
]);
export type ReservationStatus = Static<typeof ReservationStatus>;

export const ReserveLine = Type.Object(
  {
    productId: Uuid,
    quantity: Type.Integer({ minimum: 1, maximum: MAX_LINE_QUANTITY }),
  },
  { additionalProperties: false },
);

export const ReserveBody = Type.Object(
  {
    orderId: Uuid,
    items: Type.Array(ReserveLine, { minItems: 1, maxItems: MAX_LINES, description: 'One line per product.' }),
    ttlSeconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_TTL_SECONDS, description: 'Default INVENTORY_RESERVATION_TTL_SECONDS.' }),
    ),
  },
  { additionalProperties: false },
);
export type ReserveBody = Static<typeof ReserveBody>;

/** The body is optional (Fastify hands a missing body to validation as null): no body, no reason. */
export const ReleaseBody = Type.Union([
  Type.Object(
    {
      reason: Type.Optional(
        Type.String({ minLength: 1, maxLength: 500, description: 'Why (kept on the reservation; StockReturned carries it).' }),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
]);
export type ReleaseBody = Static<typeof ReleaseBody>;

export const ReservationParams = Type.Object({ reservationId: Uuid });

export const Reservation = Type.Object({
  id: Uuid,
  /** Null only for a tombstone: a release of an id never reserved. */
  orderId: Type.Union([Uuid, Type.Null()]),
  status: ReservationStatus,
  items: Type.Array(StockLine),
  /** Null only for a tombstone. */
  expiresAt: Type.Union([Timestamp, Type.Null()]),
  updatedAt: Timestamp,
});
export type Reservation = Static<typeof Reservation>;

// ---- events ------------------------------------------------------------------
// Open content models (no additionalProperties: false), see catalog/contract.ts.

/** Units were set aside for an order until `expiresAt`. */
export const StockReserved = defineEvent({
  source: 'inventory',
  name: 'StockReserved',
  schema: Type.Object({
    reservationId: Uuid,
    orderId: Uuid,
    items: Type.Array(StockLine, { minItems: 1 }),
    expiresAt: Timestamp,
    reservedAt: Timestamp,
  }),
});
export type StockReserved = Static<typeof StockReserved.schema>;

/** A held reservation gave its units back: released by the saga's compensation, or expired. */
export const StockReleased = defineEvent({
  source: 'inventory',
  name: 'StockReleased',
  schema: Type.Object({
    reservationId: Uuid,
    orderId: Uuid,
    items: Type.Array(StockLine),
    /** 'released' (asked for) or 'expired' (nobody confirmed it in time). */
    reason: Type.String({ minLength: 1 }),
    releasedAt: Timestamp,
  }),
});
export type StockReleased = Static<typeof StockReleased.schema>;

/** The reserved units left the stock for good (after OrderConfirmed): ready to ship. */
export const StockCommitted = defineEvent({
  source: 'inventory',
  name: 'StockCommitted',
  schema: Type.Object({
    reservationId: Uuid,
    orderId: Uuid,
    items: Type.Array(StockLine, { minItems: 1 }),
    committedAt: Timestamp,
  }),
});
export type StockCommitted = Static<typeof StockCommitted.schema>;

/** Committed units came back (the shipment failed): the compensation of StockCommitted. */
export const StockReturned = defineEvent({
  source: 'inventory',
  name: 'StockReturned',
  schema: Type.Object({
    reservationId: Uuid,
    orderId: Uuid,
    items: Type.Array(StockLine, { minItems: 1 }),
    reason: Type.String({ minLength: 1 }),
    returnedAt: Timestamp,
  }),
});
export type StockReturned = Static<typeof StockReturned.schema>;

/** A product's available units fell to its threshold or below (published when it crosses, not on every sale). */
export const StockLow = defineEvent({
  source: 'inventory',
  name: 'StockLow',
  schema: Type.Object({
    productId: Uuid,
    available: Type.Integer({ minimum: 0 }),
    threshold: Type.Integer({ minimum: 0 }),
    at: Timestamp,
  }),
});
export type StockLow = Static<typeof StockLow.schema>;
