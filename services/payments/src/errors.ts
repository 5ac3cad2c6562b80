// The payments service's error codes; each is also listed in docs/errors.md.

import { defineErrors } from '@souk/chassis';

export const errors = defineErrors({
  notFound: {
    code: 'SOUK_PAYMENTS_NOT_FOUND',
    status: 404,
    title: 'Payment not found',
    description: 'No payment has this id (or none existed yet at the asOf time).',
  },
  declined: {
    code: 'SOUK_PAYMENTS_DECLINED',
    status: 402,
    title: 'The payment was declined',
    description:
      'The provider refused the authorization; `declineCode` says why (DECLINED, INSUFFICIENT_FUNDS, EXPIRED_CARD, INVALID_PAYMENT_METHOD). A repeat gets the same answer: use another payment id and card.',
  },
  providerUnavailable: {
    code: 'SOUK_PAYMENTS_PROVIDER_UNAVAILABLE',
    status: 503,
    title: 'The payment provider did not answer',
    retryable: true,
    description:
      'The provider timed out, failed or is down, even after retries; the outcome is recorded as unknown. Retry the same request: it reconciles with the provider first and never charges twice.',
  },
  conflict: {
    code: 'SOUK_PAYMENTS_CONFLICT',
    status: 409,
    title: 'The payment id is taken by another request',
    description:
      'An authorize names a payment id already used with another order, user, amount, currency or payment method. A payment id stands for one payment.',
  },
  voided: {
    code: 'SOUK_PAYMENTS_VOIDED',
    status: 409,
    title: 'The payment was voided',
    description:
      'The payment was voided or cancelled (possibly before it was ever authorized, as a compensation): a late authorize is refused so no money is held for a cancelled order.',
  },
  notCapturable: {
    code: 'SOUK_PAYMENTS_NOT_CAPTURABLE',
    status: 409,
    title: 'The payment cannot be captured',
    description:
      'Only an authorized payment can be captured; `paymentStatus` says what it is (failed, voided, or its authorization is still unknown).',
  },
  notVoidable: {
    code: 'SOUK_PAYMENTS_NOT_VOIDABLE',
    status: 409,
    title: 'The payment cannot be voided',
    description: 'A captured payment cannot be voided; refund it (or use cancel, which refunds a captured payment).',
  },
  notRefundable: {
    code: 'SOUK_PAYMENTS_NOT_REFUNDABLE',
    status: 409,
    title: 'The payment cannot be refunded',
    description: 'Only a captured payment can be refunded; `paymentStatus` says what it is (void an authorized one instead).',
  },
  alreadyRefunded: {
    code: 'SOUK_PAYMENTS_ALREADY_REFUNDED',
    status: 409,
    title: 'The payment was already refunded',
    description:
      'A payment takes one refund (possibly partial); this request asks for another amount than the refund already made (`refundedCents`).',
  },
  refundTooLarge: {
    code: 'SOUK_PAYMENTS_REFUND_TOO_LARGE',
    status: 422,
    title: 'The refund exceeds the captured amount',
    description: 'amountCents is more than was captured (`refundableCents`).',
  },
  providerDisagrees: {
    code: 'SOUK_PAYMENTS_PROVIDER_DISAGREES',
    status: 502,
    title: "The provider's records do not match the ledger",
    description:
      "The provider refused an operation and its records did not explain why; the payment needs an operator (its events and the provider's charges tell the story).",
  },
  cancellationNotFound: {
    code: 'SOUK_PAYMENTS_CANCELLATION_NOT_FOUND',
    status: 404,
    title: 'No cancellation for this order',
    description:
      "No ShipmentFailed asked to give back this order's money (or none of its payments held or had taken any when it arrived).",
  },
  cancellationDone: {
    code: 'SOUK_PAYMENTS_CANCELLATION_DONE',
    status: 409,
    title: 'The cancellation is done',
    description:
      "The order's payments were already given back: there is nothing to retry. Its payments (GET /api/v1/payments?orderId=) and their events tell what happened.",
  },
});
