// The payments service's public contract: TypeBox schemas of its HTTP API and
// of the events it publishes. Payments are event-sourced: these integration
// events are published from the ledger's domain events, in the same transaction.

import { defineEvent } from '@souk/chassis';
import { Type, type Static, type TSchema } from 'typebox';

export const API_PREFIX = '/api/v1/payments';
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

const Uuid = Type.String({ pattern: UUID_PATTERN, description: 'UUID' });
const Timestamp = Type.String({ format: 'date-time' });

// ---- HTTP API (internal: a service token with the route's capability, payments:authorize...) ----

/** The largest amount one payment takes: 1,000,000.00 in minor units (the provider's limit too). */
export const MAX_AMOUNT_CENTS = 100_000_000;
/** Payment method tokens the provider understands (tok_visa, tok_decline, ...). */
export const PAYMENT_METHOD_PATTERN = '^tok_[a-z0-9_]{1,60}$';

const Reason = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const PaymentStatus = Type.Union(
  [
    Type.Literal('AUTHORIZING'),
    Type.Literal('AUTHORIZED'),
    Type.Literal('FAILED'),
    Type.Literal('CAPTURED'),
    Type.Literal('VOIDED'),
    Type.Literal('REFUNDED'),
  ],
  {
    description:
      'AUTHORIZING: asked, outcome not known yet (a retry reconciles). VOIDED without an authorization: a tombstone that refuses a late authorize.',
  },
);
export type PaymentStatus = Static<typeof PaymentStatus>;

export const PaymentParams = Type.Object({ paymentId: Uuid });

export const AuthorizeBody = Type.Object(
  {
    orderId: Uuid,
    userId: Uuid,
    amountCents: Type.Integer({ minimum: 1, maximum: MAX_AMOUNT_CENTS, description: 'Minor units (cents).' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code (EUR).' }),
    paymentMethod: Type.String({
      pattern: PAYMENT_METHOD_PATTERN,
      description: 'Provider token: tok_visa approves, tok_decline declines.',
    }),
  },
  { additionalProperties: false },
);
export type AuthorizeBody = Static<typeof AuthorizeBody>;

export const VoidBody = Type.Object(
  {
    reason: Reason,
    /** Recorded on a tombstone (void of a payment this service never saw), so operators can tell whose it was. */
    orderId: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);
export type VoidBody = Static<typeof VoidBody>;

export const RefundBody = Type.Object(
  {
    reason: Reason,
    amountCents: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_AMOUNT_CENTS, description: 'Default: everything captured.' }),
    ),
  },
  { additionalProperties: false },
);
export type RefundBody = Static<typeof RefundBody>;

export const CancelBody = VoidBody;
export type CancelBody = VoidBody;

export const PaymentQuery = Type.Object({
  asOf: Type.Optional(Type.String({ format: 'date-time', description: 'The payment as it was at this time (ISO 8601).' })),
});

export const Payment = Type.Object({
  id: Uuid,
  orderId: Nullable(Uuid),
  userId: Nullable(Uuid),
  status: PaymentStatus,
  amountCents: Nullable(Type.Integer()),
  currency: Nullable(Type.String()),
  capturedCents: Type.Integer(),
  refundedCents: Type.Integer(),
  authorizationId: Nullable(Type.String()),
  captureId: Nullable(Type.String()),
  refundId: Nullable(Type.String()),
  failure: Nullable(Type.Object({ code: Type.String(), reason: Type.String() })),
  voidReason: Nullable(Type.String()),
  refundReason: Nullable(Type.String()),
  /** Provider calls that ended without a known outcome (timeouts, 5xx); each was reconciled or retried with its Idempotency-Key. */
  unknownOutcomes: Type.Integer(),
  /** The stream version (number of events). */
  version: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  /** Present when asked with asOf. */
  asOf: Type.Optional(Timestamp),
  /** How the state was loaded: the snapshot it started from and the events replayed on top. */
  replay: Type.Optional(Type.Object({ snapshotVersion: Nullable(Type.Integer()), eventsApplied: Type.Integer() })),
});
export type Payment = Static<typeof Payment>;

export const PaymentEvent = Type.Object({
  version: Type.Integer(),
  position: Type.Integer(),
  type: Type.String(),
  data: Type.Unknown(),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  recordedAt: Timestamp,
});
export const PaymentEventList = Type.Object({ paymentId: Uuid, events: Type.Array(PaymentEvent) });

export const PaymentListQuery = Type.Object({ orderId: Uuid });
export const PaymentList = Type.Object({ items: Type.Array(Payment) });

export const RebuildResult = Type.Object({ payments: Type.Integer(), events: Type.Integer(), tookMs: Type.Number() });

// ---- operators: the cancellations ShipmentFailed asked for (admin role) --------

export const CancellationStatus = Type.Union([Type.Literal('PENDING'), Type.Literal('DONE'), Type.Literal('PARKED')], {
  description:
    'PENDING: waiting for an attempt (or being attempted); DONE: the money was given back; PARKED: the attempts ran out, an operator must retry.',
});
export type CancellationStatus = Static<typeof CancellationStatus>;

export const PaymentCancellation = Type.Object({
  orderId: Uuid,
  /** The ShipmentFailed event that asked for it (the causation id of the ledger events). */
  eventId: Type.String(),
  reason: Type.String(),
  status: CancellationStatus,
  /** Attempts since it was recorded or last retried by an operator. */
  attempts: Type.Integer(),
  nextAttemptAt: Timestamp,
  /** The instance that claimed it last. */
  claimedBy: Nullable(Type.String()),
  /** While an attempt is in progress: when its lease ends (then another instance may take it over). */
  claimedUntil: Nullable(Timestamp),
  lastError: Nullable(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type PaymentCancellation = Static<typeof PaymentCancellation>;

export const CancellationListQuery = Type.Object({
  status: Type.Optional(CancellationStatus),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000, default: 100 })),
});
export const CancellationList = Type.Object({ items: Type.Array(PaymentCancellation) });
export const CancellationParams = Type.Object({ orderId: Uuid });

// ---- events ------------------------------------------------------------------
// Open content models (no additionalProperties: false), see catalog/contract.ts.

const EventCurrency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code.' });
const Cents = Type.Integer({ minimum: 0, description: 'Minor units (cents).' });

/** The provider authorized the amount: money is held on the card, not taken yet. */
export const PaymentAuthorized = defineEvent({
  source: 'payments',
  name: 'PaymentAuthorized',
  schema: Type.Object({
    paymentId: Uuid,
    orderId: Uuid,
    userId: Uuid,
    amountCents: Cents,
    currency: EventCurrency,
    authorizationId: Type.String({ minLength: 1, description: "The provider's id." }),
    authorizedAt: Timestamp,
  }),
});
export type PaymentAuthorized = Static<typeof PaymentAuthorized.schema>;

/** The authorization was refused (declined card) or could not be obtained. */
export const PaymentFailed = defineEvent({
  source: 'payments',
  name: 'PaymentFailed',
  schema: Type.Object({
    paymentId: Uuid,
    orderId: Uuid,
    userId: Uuid,
    amountCents: Cents,
    currency: EventCurrency,
    /** Stable: e.g. DECLINED, INSUFFICIENT_FUNDS, PROVIDER_UNAVAILABLE. */
    code: Type.String({ minLength: 1 }),
    reason: Type.String({ minLength: 1 }),
    failedAt: Timestamp,
  }),
});
export type PaymentFailed = Static<typeof PaymentFailed.schema>;

/** The held amount was taken. */
export const PaymentCaptured = defineEvent({
  source: 'payments',
  name: 'PaymentCaptured',
  schema: Type.Object({
    paymentId: Uuid,
    orderId: Uuid,
    amountCents: Cents,
    currency: EventCurrency,
    captureId: Type.String({ minLength: 1 }),
    capturedAt: Timestamp,
  }),
});
export type PaymentCaptured = Static<typeof PaymentCaptured.schema>;

/** An authorization was cancelled before capture (compensation): the hold is lifted, nothing was charged. */
export const PaymentVoided = defineEvent({
  source: 'payments',
  name: 'PaymentVoided',
  schema: Type.Object({
    paymentId: Uuid,
    orderId: Uuid,
    reason: Type.String({ minLength: 1 }),
    voidedAt: Timestamp,
  }),
});
export type PaymentVoided = Static<typeof PaymentVoided.schema>;

/** Captured money went back to the customer (compensation after capture). */
export const PaymentRefunded = defineEvent({
  source: 'payments',
  name: 'PaymentRefunded',
  schema: Type.Object({
    paymentId: Uuid,
    orderId: Uuid,
    amountCents: Cents,
    currency: EventCurrency,
    refundId: Type.String({ minLength: 1 }),
    reason: Type.String({ minLength: 1 }),
    refundedAt: Timestamp,
  }),
});
export type PaymentRefunded = Static<typeof PaymentRefunded.schema>;
