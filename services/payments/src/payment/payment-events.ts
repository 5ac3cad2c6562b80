// The payment ledger's domain events: what the event store keeps for each
// payment (its stream is the payment id). They are facts in the past tense,
// private to this service; the integration events other services read are in
// contract.ts and are derived from these (integration-events.ts).
//
// The "a timeout then a retry never charges twice" story is in the log:
//   AuthorizationRequested   the request and its Idempotency-Key, written BEFORE the call
//   ProviderOutcomeUnknown   the call timed out or failed: the provider may or may not have acted
//   PaymentAuthorized        found by reference (reconciled: true) or answered on a retry with
//                            the same key, which the provider replays instead of charging again

import type { DomainEvent } from '@souk/chassis';

export type ProviderOperation = 'authorize' | 'capture' | 'void' | 'refund';

export type AuthorizationRequested = DomainEvent<
  'AuthorizationRequested',
  {
    orderId: string;
    userId: string;
    amountCents: number;
    currency: string;
    paymentMethod: string;
    /** Sent with every attempt of this authorization, so the provider acts on it once. */
    idempotencyKey: string;
  }
>;

export type PaymentAuthorized = DomainEvent<
  'PaymentAuthorized',
  {
    authorizationId: string;
    /** True when learnt by looking the authorization up after an unknown outcome. */
    reconciled: boolean;
  }
>;

export type PaymentFailed = DomainEvent<
  'PaymentFailed',
  {
    /** Stable: DECLINED, INSUFFICIENT_FUNDS, EXPIRED_CARD, INVALID_PAYMENT_METHOD. */
    code: string;
    reason: string;
    /** The provider's id of the declined attempt, when it gave one. */
    authorizationId: string | null;
  }
>;

export type ProviderOutcomeUnknown = DomainEvent<
  'ProviderOutcomeUnknown',
  {
    operation: ProviderOperation;
    idempotencyKey: string;
    /** The souk code the call failed with (SOUK_CLIENT_TIMEOUT, SOUK_PROVIDER_UNAVAILABLE, ...). */
    errorCode: string;
    detail: string;
  }
>;

export type PaymentCaptured = DomainEvent<
  'PaymentCaptured',
  {
    captureId: string;
    amountCents: number;
    reconciled: boolean;
  }
>;

export type PaymentVoided = DomainEvent<
  'PaymentVoided',
  {
    reason: string;
    /** The authorization released at the provider; null when none was ever made (a tombstone). */
    authorizationId: string | null;
    /** Given by the caller of a void for a payment this service never saw. */
    orderId: string | null;
    reconciled: boolean;
  }
>;

export type RefundRequested = DomainEvent<
  'RefundRequested',
  {
    amountCents: number;
    reason: string;
    /** A retry sends exactly this request again (same key, same body), so the provider replays it. */
    idempotencyKey: string;
  }
>;

export type PaymentRefunded = DomainEvent<
  'PaymentRefunded',
  {
    refundId: string;
    amountCents: number;
    reason: string;
  }
>;

export type PaymentEvent =
  | AuthorizationRequested
  | PaymentAuthorized
  | PaymentFailed
  | ProviderOutcomeUnknown
  | PaymentCaptured
  | PaymentVoided
  | RefundRequested
  | PaymentRefunded;

export type PaymentEventType = PaymentEvent['type'];

/** The Idempotency-Key of one operation on one payment: the same on every retry, by construction. */
export function idempotencyKey(paymentId: string, operation: ProviderOperation): string {
  return `payment-${paymentId}-${operation}`;
}
