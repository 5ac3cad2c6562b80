// The simulated warehouse's rules as pure functions: when a shipment may go
// (the join: stock committed AND payment captured, unless the order was
// cancelled) and when it is due, whether the carrier takes it (a roll against
// the failure rate), and the tracking number it gets. The worker and the
// handlers do the I/O.

import { CARRIER } from '../../contract.ts';

export type ShipDecision =
  { kind: 'ship'; carrier: string; trackingNumber: string } | { kind: 'fail'; reasonCode: string; reason: string };

/** `roll` is uniform in [0, 1): a rate of 0 never fails, a rate of 1 always does. */
export function decideShipment(shipmentId: string, failureRate: number, roll: number): ShipDecision {
  if (roll < failureRate) {
    return { kind: 'fail', reasonCode: 'CARRIER_REFUSED', reason: 'The carrier refused the parcel (simulated failure).' };
  }
  return { kind: 'ship', carrier: CARRIER, trackingNumber: trackingNumberFor(shipmentId) };
}

/** Stable per shipment, so a retried step hands out the same number: SP + 12 hex digits of the id + SK. */
export function trackingNumberFor(shipmentId: string): string {
  return `SP${shipmentId.replace(/-/g, '').slice(-12).toUpperCase()}SK`;
}

export function shipAfter(committedAt: Date, delayMs: number): Date {
  return new Date(committedAt.getTime() + delayMs);
}

/** What shipping knows about an order apart from its stock (orders' and payments' events). */
export interface OrderFacts {
  paid: boolean;
  cancelled: boolean;
}

/**
 * The status of a shipment recorded when its stock is committed. A cancellation known
 * earlier wins (it never ships); otherwise it may ship only once the payment is captured.
 */
export function statusOnCommit(facts: OrderFacts): 'AWAITING_PAYMENT' | 'PENDING' | 'CANCELLED' {
  if (facts.cancelled) return 'CANCELLED';
  return facts.paid ? 'PENDING' : 'AWAITING_PAYMENT';
}

/** A shipment that waited for its payment is due its delay after the commit, and not before the capture is known (recordPayment's SQL says the same: greatest()). */
export function shipAfterOnPayment(shipAfter: Date, paymentKnownAt: Date): Date {
  return shipAfter.getTime() >= paymentKnownAt.getTime() ? shipAfter : paymentKnownAt;
}

/** Only a shipment that has not left (nor been refused) can be cancelled. */
export function cancellable(status: string): boolean {
  return status === 'AWAITING_PAYMENT' || status === 'PENDING';
}

export interface Behaviour {
  failureRate: number;
  delayMs: number;
  updatedAt: Date | null;
}

/** The admin's run-time values where set, the configuration's otherwise. */
export function effectiveBehaviour(
  config: { failureRate: number; delayMs: number },
  override: { failureRate: number | null; delayMs: number | null; updatedAt: Date } | undefined,
): Behaviour {
  return {
    failureRate: override?.failureRate ?? config.failureRate,
    delayMs: override?.delayMs ?? config.delayMs,
    updatedAt: override?.updatedAt ?? null,
  };
}
