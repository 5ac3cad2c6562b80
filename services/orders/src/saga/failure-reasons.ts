// Why an order was cancelled, for people and machines: the saga's failure
// (the step that failed and its last error) mapped to a stable reason code
// and one sentence.

import type { SagaFailure } from '@souk/chassis';
import type { OrderLine } from '../../contract.ts';
import type { CancelReason } from '../orders/order-store.ts';

export const STEP_NAMES = {
  reserveStock: 'reserveStock',
  authorizePayment: 'authorizePayment',
  confirmOrder: 'confirmOrder',
  capturePayment: 'capturePayment',
} as const;

/** Errors that mean "no answer in time" rather than "no". */
const TIMEOUT_CODES = new Set(['SOUK_SAGA_ATTEMPT_TIMEOUT', 'SOUK_CLIENT_TIMEOUT']);
const DECLINE_CODES = new Set(['SOUK_PAYMENTS_DECLINED', 'SOUK_ORDERS_PAYMENT_REFUSED']);

const WHAT: Record<string, string> = {
  reserveStock: 'Reserving the stock',
  authorizePayment: 'Authorizing the payment',
  confirmOrder: 'Confirming the order',
  capturePayment: 'Taking the payment',
};

export function cancellationReason(failure: SagaFailure, items: readonly OrderLine[]): CancelReason {
  const what = WHAT[failure.step] ?? `The step ${failure.step}`;
  if (failure.code === 'SOUK_INVENTORY_INSUFFICIENT_STOCK') {
    const productId = typeof failure.extensions.productId === 'string' ? failure.extensions.productId : undefined;
    const line = items.find((l) => l.productId === productId);
    const name = line ? `"${line.name}"` : 'a product';
    const { requested, available } = failure.extensions;
    const counts =
      typeof requested === 'number' && typeof available === 'number' ? ` (${requested} ordered, ${available} available)` : '';
    return { reasonCode: 'OUT_OF_STOCK', reason: `Not enough stock of ${name}${counts}.` };
  }
  if (failure.code === 'SOUK_ORDERS_RESERVATION_NOT_HELD') {
    return {
      reasonCode: 'RESERVATION_EXPIRED',
      reason: 'The reserved stock was released before the checkout could finish (it took longer than the reservation lasts).',
    };
  }
  if (DECLINE_CODES.has(failure.code))
    return { reasonCode: 'PAYMENT_DECLINED', reason: `The payment was declined: ${failure.message}` };
  if (TIMEOUT_CODES.has(failure.code)) {
    return {
      reasonCode: 'STEP_TIMED_OUT',
      reason: `${what} took too long (${failure.attempts} attempt${failure.attempts === 1 ? '' : 's'}).`,
    };
  }
  if (failure.step === STEP_NAMES.authorizePayment) {
    return {
      reasonCode: 'PAYMENT_UNAVAILABLE',
      reason: `The payment could not be authorized right now (${failure.message}); nothing was charged.`,
    };
  }
  if (failure.step === STEP_NAMES.reserveStock) {
    return { reasonCode: 'INVENTORY_UNAVAILABLE', reason: `The stock could not be reserved right now (${failure.message}).` };
  }
  if (failure.step === STEP_NAMES.capturePayment) {
    return {
      reasonCode: 'PAYMENT_CAPTURE_FAILED',
      reason: `The payment could not be taken (${failure.message}); it was released.`,
    };
  }
  return { reasonCode: 'CHECKOUT_FAILED', reason: `${what} failed: ${failure.message}` };
}
