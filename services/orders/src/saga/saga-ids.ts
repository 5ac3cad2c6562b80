// Ids the checkout saga uses with other services, derived from the order id:
// every attempt, on any instance, after any restart, names the same
// reservation and payment, so inventory and payments can recognise a repeat.

import { createHash } from 'node:crypto';

/** The checkout saga's id is the order's id: one saga per order. */
export const CHECKOUT_SAGA = 'checkout';

/** A UUID (version 8, RFC 9562 "custom") from sha256 of purpose and order id. */
export function derivedId(orderId: string, purpose: 'reservation' | 'payment'): string {
  const bytes = createHash('sha256').update(`souk.orders.${purpose}:${orderId.toLowerCase()}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80; // version 8
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const reservationIdOf = (orderId: string) => derivedId(orderId, 'reservation');
export const paymentIdOf = (orderId: string) => derivedId(orderId, 'payment');
