// What payments asks of the payment provider and what it may hear back, as
// plain data: the domain code decides on these, the client (provider-client.ts)
// turns them into HTTP. The provider is a third party, so its answers are
// typed here from its documentation, not imported from its code.

import { isSoukError } from '@souk/chassis';

/** An authorization as the provider describes it (GET /v1/authorizations/...). */
export interface ProviderAuthorization {
  id: string;
  status: 'authorized' | 'declined' | 'captured' | 'voided';
  amount: number;
  currency: string;
  reference: string;
  declineCode: string | null;
  amountCaptured: number;
  amountRefunded: number;
  captureId: string | null;
}

export type ProviderCall =
  | { op: 'authorize'; idempotencyKey: string; amountCents: number; currency: string; paymentMethod: string; reference: string }
  /** Reconciliation after an unknown outcome: what did the provider do for this payment? */
  | { op: 'find-authorizations'; reference: string }
  /** Reconciliation after a refusal: what state is the authorization in? */
  | { op: 'get-authorization'; authorizationId: string }
  | { op: 'capture'; idempotencyKey: string; authorizationId: string }
  | { op: 'void'; idempotencyKey: string; authorizationId: string }
  | { op: 'refund'; idempotencyKey: string; captureId: string; amountCents: number; reason: string };

export type ProviderOutcome =
  /** authorize, void, get-authorization: the authorization as it is now. */
  | { kind: 'authorization'; authorization: ProviderAuthorization }
  /** find-authorizations: newest first; empty when the provider never saw the payment. */
  | { kind: 'found'; authorizations: ProviderAuthorization[] }
  | { kind: 'captured'; captureId: string; amountCents: number }
  | { kind: 'refunded'; refundId: string; amountCents: number }
  | { kind: 'declined'; declineCode: string; authorizationId: string | null; detail: string }
  /** The provider refused the operation for the state it has (not capturable, not voidable, ...). */
  | { kind: 'refused'; code: string; detail: string }
  /**
   * No answer that says what happened: a timeout, a 5xx, a request with the same key in flight.
   * `sent` is false when the request surely never left (open circuit, no instance): nothing can have happened.
   */
  | { kind: 'unknown'; errorCode: string; detail: string; sent: boolean };

/** The provider's codes that mean "not done, try again later" even though their status is 4xx. */
const IN_FLIGHT_CODES = new Set(['SOUK_PROVIDER_IDEMPOTENCY_KEY_IN_USE']);
/** The chassis client refused before sending: the provider cannot have acted. */
const NOT_SENT_CODES = new Set(['SOUK_CLIENT_CIRCUIT_OPEN', 'SOUK_CLIENT_NO_INSTANCE', 'SOUK_CLIENT_BULKHEAD_FULL']);
/** Our own key refused (401/403): a misconfiguration, but to the caller the provider is unusable. */
const KEY_REFUSED_STATUSES = new Set([401, 403]);

/**
 * How a failed call reads: a decline, a refusal of the operation, or an
 * unknown outcome. Anything without an answer from the provider's business
 * logic is unknown: a timeout may have done its work before the answer got lost.
 */
export function classifyFailure(err: unknown): Extract<ProviderOutcome, { kind: 'declined' | 'refused' | 'unknown' }> {
  if (!isSoukError(err)) return { kind: 'unknown', errorCode: 'SOUK_INTERNAL', detail: String(err), sent: true };
  const detail = err.detail;
  if (err.status === 402) {
    const declineCode = typeof err.extensions.declineCode === 'string' ? err.extensions.declineCode : 'card_declined';
    const authorizationId = typeof err.extensions.authorizationId === 'string' ? err.extensions.authorizationId : null;
    return { kind: 'declined', declineCode, authorizationId, detail };
  }
  if (
    err.status >= 500 ||
    err.status === 429 ||
    IN_FLIGHT_CODES.has(err.code) ||
    KEY_REFUSED_STATUSES.has(err.status) ||
    err.code === 'SOUK_CLIENT_CANCELLED'
  ) {
    return { kind: 'unknown', errorCode: err.code, detail, sent: !NOT_SENT_CODES.has(err.code) };
  }
  return { kind: 'refused', code: err.code, detail };
}

/** The provider's decline codes as the stable codes of PaymentFailed. */
export function failureCodeOf(declineCode: string): string {
  switch (declineCode) {
    case 'card_declined':
      return 'DECLINED';
    case 'insufficient_funds':
      return 'INSUFFICIENT_FUNDS';
    case 'expired_card':
      return 'EXPIRED_CARD';
    case 'invalid_payment_method':
      return 'INVALID_PAYMENT_METHOD';
    default:
      return declineCode.toUpperCase().replace(/[^A-Z0-9]+/g, '_') || 'DECLINED';
  }
}
