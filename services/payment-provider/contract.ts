// The payment provider's public contract: TypeBox schemas of its HTTP API (a
// third-party card processor's API, under /v1, not souk's /api style). It
// publishes no events: a real processor would not write to souk's outbox.

import { Type, type Static } from 'typebox';

export const API_PREFIX = '/v1';
/** Largest amount the processor takes in one authorization: 1,000,000.00 in minor units. */
export const MAX_AMOUNT = 100_000_000;
export const MAX_LIST_LIMIT = 100;
export const DEFAULT_LIST_LIMIT = 20;
/** Payment method tokens: `tok_` and lower-case letters, digits or underscores. */
export const PAYMENT_METHOD_PATTERN = '^tok_[a-z0-9_]{1,60}$';
/** Printable ASCII without spaces: what fits in a header value unchanged. */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7E]{1,255}$';

const Amount = Type.Integer({ minimum: 1, maximum: MAX_AMOUNT, description: 'Minor units (cents).' });
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, upper case.' });
const Reference = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^\\S(.*\\S)?$',
  description: "The merchant's own reference (souk: the payment id).",
});
const Timestamp = Type.String({ format: 'date-time' });
const AuthorizationId = Type.String({ pattern: '^auth_[A-Za-z0-9]{1,40}$' });
const CaptureId = Type.String({ pattern: '^cap_[A-Za-z0-9]{1,40}$' });

export const AuthorizationStatus = Type.Union([
  Type.Literal('authorized'),
  Type.Literal('declined'),
  Type.Literal('captured'),
  Type.Literal('voided'),
]);
export type AuthorizationStatus = Static<typeof AuthorizationStatus>;

export const CreateAuthorizationBody = Type.Object(
  {
    amount: Amount,
    currency: Currency,
    paymentMethod: Type.String({
      pattern: PAYMENT_METHOD_PATTERN,
      description:
        'Test tokens: tok_visa, tok_mastercard, tok_amex approve (unless the decline rate fires); tok_decline, tok_insufficient_funds, tok_expired always decline; any other token declines as invalid_payment_method.',
    }),
    reference: Reference,
  },
  { additionalProperties: false },
);
export type CreateAuthorizationBody = Static<typeof CreateAuthorizationBody>;

export const Authorization = Type.Object({
  id: Type.String(),
  status: AuthorizationStatus,
  amount: Type.Integer(),
  currency: Type.String(),
  reference: Type.String(),
  paymentMethod: Type.String(),
  /** Why it was declined (processor-style code); null unless status is declined. */
  declineCode: Type.Union([Type.String(), Type.Null()]),
  amountCaptured: Type.Integer(),
  amountRefunded: Type.Integer(),
  captureId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Authorization = Static<typeof Authorization>;

export const AuthorizationParams = Type.Object({ id: AuthorizationId });

export const CaptureBody = Type.Object(
  {
    amount: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_AMOUNT, description: 'Default: the whole authorized amount.' }),
    ),
  },
  { additionalProperties: false },
);
export type CaptureBody = Static<typeof CaptureBody>;

export const Capture = Type.Object({
  id: Type.String(),
  authorizationId: Type.String(),
  amount: Type.Integer(),
  currency: Type.String(),
  status: Type.Literal('captured'),
  createdAt: Timestamp,
});
export type Capture = Static<typeof Capture>;

export const RefundBody = Type.Object(
  {
    captureId: CaptureId,
    amount: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_AMOUNT, description: 'Default: what is left to refund.' })),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type RefundBody = Static<typeof RefundBody>;

export const Refund = Type.Object({
  id: Type.String(),
  captureId: Type.String(),
  amount: Type.Integer(),
  currency: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()]),
  status: Type.Literal('refunded'),
  createdAt: Timestamp,
});
export type Refund = Static<typeof Refund>;

export const AuthorizationListQuery = Type.Object({
  reference: Type.Optional(Reference),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIST_LIMIT, description: `Default ${DEFAULT_LIST_LIMIT}.` })),
});
export type AuthorizationListQuery = Static<typeof AuthorizationListQuery>;

/** Newest first. */
export const AuthorizationList = Type.Object({ data: Type.Array(Authorization) });
export type AuthorizationList = Static<typeof AuthorizationList>;

export const ChargesQuery = Type.Object({ reference: Reference });

/** Everything that happened to the money of one reference: what a reconciliation or a test counts. */
export const Charges = Type.Object({
  reference: Type.String(),
  authorizations: Type.Array(Authorization),
  captures: Type.Array(Capture),
  refunds: Type.Array(Refund),
  amountCaptured: Type.Integer(),
  amountRefunded: Type.Integer(),
  /** Captured minus refunded: what the customer paid in the end. */
  net: Type.Integer(),
});
export type Charges = Static<typeof Charges>;

const Rate = Type.Number({ minimum: 0, maximum: 1 });

/** How the simulated processor behaves; see README "Behaviour". */
export const Behaviour = Type.Object({
  /** Added to every processing call (POST) after its work is committed. */
  latencyMs: Type.Integer({ minimum: 0, maximum: 60_000 }),
  /** Share of approvable authorizations that decline anyway (card_declined). */
  declineRate: Rate,
  /** Share of processing calls answered 500 before any work. */
  errorRate: Rate,
  /** Share of processing calls that do their work and then hold the answer for 30 s. */
  timeoutRate: Rate,
  /** Every call except /v1/_admin answers 503. */
  outage: Type.Boolean(),
});
export type Behaviour = Static<typeof Behaviour>;

/** Changes only the fields it names. */
export const BehaviourChange = Type.Partial(Behaviour, { additionalProperties: false, minProperties: 1 });
export type BehaviourChange = Static<typeof BehaviourChange>;
