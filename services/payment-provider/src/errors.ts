// The payment provider's error codes; each is also listed in docs/errors.md.
// A decline carries the processor-style reason (card_declined, ...) in the
// problem's `declineCode` extension, as a card processor's API would.

import { defineErrors } from '@souk/chassis';

export const errors = defineErrors({
  unauthenticated: {
    code: 'SOUK_PROVIDER_UNAUTHENTICATED',
    status: 401,
    title: 'Invalid API key',
    description:
      "The request has no `Authorization: Bearer <api key>` header, or the key is not this merchant's (or, on /v1/_admin, not the admin key).",
  },
  forbidden: {
    code: 'SOUK_PROVIDER_FORBIDDEN',
    status: 403,
    title: 'This API key may not do that',
    description: 'The merchant key was used on /v1/_admin, which needs the admin key.',
  },
  unavailable: {
    code: 'SOUK_PROVIDER_UNAVAILABLE',
    status: 503,
    title: 'The payment provider is unavailable',
    retryable: true,
    description: 'A (simulated) outage: nothing was done. Retry later with the same Idempotency-Key.',
  },
  processingError: {
    code: 'SOUK_PROVIDER_PROCESSING_ERROR',
    status: 500,
    title: 'The payment provider failed to process the request',
    retryable: true,
    description:
      'A (simulated) internal error before any work was done; nothing was stored under the Idempotency-Key, so retrying with it is safe.',
  },
  idempotencyKeyMissing: {
    code: 'SOUK_PROVIDER_IDEMPOTENCY_KEY_MISSING',
    status: 400,
    title: 'Idempotency-Key header required',
    description:
      'Every POST needs an `Idempotency-Key` header (a unique value per operation, reused only to retry that operation).',
  },
  idempotencyKeyInvalid: {
    code: 'SOUK_PROVIDER_IDEMPOTENCY_KEY_INVALID',
    status: 400,
    title: 'The Idempotency-Key is not valid',
    description: 'The key must be 1 to 255 printable ASCII characters without spaces.',
  },
  idempotencyKeyReused: {
    code: 'SOUK_PROVIDER_IDEMPOTENCY_KEY_REUSED',
    status: 422,
    title: 'Idempotency-Key reused with another request',
    description: 'The key was first used for a different request (method, path or body); use a new key for a new operation.',
  },
  idempotencyKeyInUse: {
    code: 'SOUK_PROVIDER_IDEMPOTENCY_KEY_IN_USE',
    status: 409,
    title: 'A request with this Idempotency-Key is in progress',
    retryable: true,
    description: 'The same request is being processed right now; retry shortly to receive its result.',
  },
  cardDeclined: {
    code: 'SOUK_PROVIDER_CARD_DECLINED',
    status: 402,
    title: 'The card was declined',
    description:
      'The authorization was refused; `declineCode` says why (card_declined, insufficient_funds, expired_card, invalid_payment_method) and `authorizationId` names the declined attempt. Not retryable with the same card.',
  },
  authorizationNotFound: {
    code: 'SOUK_PROVIDER_AUTHORIZATION_NOT_FOUND',
    status: 404,
    title: 'No such authorization',
    description: 'No authorization has this id.',
  },
  captureNotFound: {
    code: 'SOUK_PROVIDER_CAPTURE_NOT_FOUND',
    status: 404,
    title: 'No such capture',
    description: 'No capture has this id; refunds name the capture (`cap_...`), not the authorization.',
  },
  notCapturable: {
    code: 'SOUK_PROVIDER_NOT_CAPTURABLE',
    status: 409,
    title: 'The authorization cannot be captured',
    description: 'Only an authorized, not yet captured authorization can be captured; `authorizationStatus` says what it is now.',
  },
  notVoidable: {
    code: 'SOUK_PROVIDER_NOT_VOIDABLE',
    status: 409,
    title: 'The authorization cannot be voided',
    description:
      'Only an authorized, uncaptured authorization can be voided; a captured one needs a refund. `authorizationStatus` says what it is now.',
  },
  amountExceedsAuthorized: {
    code: 'SOUK_PROVIDER_AMOUNT_EXCEEDS_AUTHORIZED',
    status: 409,
    title: 'The capture exceeds the authorized amount',
    description: 'A capture may take at most the authorized amount (`authorized`).',
  },
  amountExceedsCaptured: {
    code: 'SOUK_PROVIDER_AMOUNT_EXCEEDS_CAPTURED',
    status: 409,
    title: 'The refund exceeds what is left to refund',
    description: 'Refunds of a capture may add up to at most the captured amount; `refundable` is what is left.',
  },
});
