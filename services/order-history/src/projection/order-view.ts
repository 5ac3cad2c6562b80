// The view of one order derived from its facts (pure): status by precedence,
// each part (payment, stock, shipping) from whichever facts have arrived. A
// function of the facts alone, so converged facts give the same view.

import type { OrderHistoryItem, OrderStatus, PaymentSummary, ShippingSummary, StockSummary } from '../../contract.ts';
import { earlier, later, timeOf, type OrderEventType, type OrderFacts } from './order-facts.ts';

/** The view plus its owner (not shown to the owner, but it decides who may read it). */
export interface OrderView extends OrderHistoryItem {
  /** Null while no event that names the user has arrived (stock, capture and shipping events do not). */
  userId: string | null;
}

export function project(facts: OrderFacts): OrderView {
  const s = facts.slots;
  const order = s.OrderPlaced ?? s.OrderConfirmed;
  const times = factTimes(facts);
  return {
    orderId: facts.orderId,
    userId: ownerOf(facts),
    status: orderStatus(facts),
    reasonCode: s.OrderCancelled?.reasonCode ?? null,
    reason: s.OrderCancelled?.reason ?? null,
    items: order
      ? order.items.map((l) => ({
          productId: l.productId,
          name: l.name,
          quantity: l.quantity,
          unitPriceCents: l.unitPriceCents,
          currency: l.currency,
        }))
      : null,
    totalCents: order?.totalCents ?? null,
    currency: order?.currency ?? null,
    payment: payment(facts),
    stock: stock(facts),
    shipping: shipping(facts),
    // Before OrderPlaced arrives, the earliest fact stands in (placing comes before anything else happens).
    placedAt: s.OrderPlaced?.placedAt ?? times.reduce(earlier),
    confirmedAt: s.OrderConfirmed?.confirmedAt ?? null,
    cancelledAt: s.OrderCancelled?.cancelledAt ?? null,
    updatedAt: times.reduce(later),
    lastEventAt: facts.lastEventAt ?? times.reduce(later),
  };
}

/** CANCELLED > CONFIRMED > PENDING: a later step never goes back, whatever arrived last. */
export function orderStatus(facts: OrderFacts): OrderStatus {
  if (facts.slots.OrderCancelled) return 'CANCELLED';
  if (facts.slots.OrderConfirmed) return 'CONFIRMED';
  return 'PENDING';
}

/** The user, from the first of these that has arrived, in a fixed order (they all name the same user). */
function ownerOf(facts: OrderFacts): string | null {
  const s = facts.slots;
  const id =
    s.OrderPlaced?.userId ??
    s.OrderConfirmed?.userId ??
    s.OrderCancelled?.userId ??
    s.PaymentAuthorized?.userId ??
    s.PaymentFailed?.userId;
  return id?.toLowerCase() ?? null;
}

function factTimes(facts: OrderFacts): string[] {
  const times = Object.entries(facts.slots).map(([type, data]) => timeOf(type as OrderEventType, data));
  for (const refund of Object.values(facts.refunds)) times.push(refund.refundedAt);
  if (times.length === 0) throw new Error(`order ${facts.orderId} has no facts to project`);
  return times;
}

function payment(facts: OrderFacts): PaymentSummary | null {
  const { PaymentAuthorized: authorized, PaymentFailed: failed, PaymentCaptured: captured, PaymentVoided: voided } = facts.slots;
  // In a fixed order (time, then id): the map's key order depends on arrival.
  const refunds = Object.values(facts.refunds).sort(
    (a, b) => Date.parse(a.refundedAt) - Date.parse(b.refundedAt) || (a.refundId < b.refundId ? -1 : 1),
  );
  const any = authorized ?? captured ?? voided ?? failed ?? refunds[0];
  if (!any) return null;
  const refundedCents = refunds.reduce((sum, r) => sum + r.amountCents, 0);
  const base = captured?.amountCents ?? authorized?.amountCents;
  const status: PaymentSummary['status'] =
    refunds.length > 0
      ? base === undefined || refundedCents >= base
        ? 'REFUNDED'
        : 'PARTIALLY_REFUNDED'
      : voided
        ? 'VOIDED'
        : captured
          ? 'CAPTURED'
          : authorized
            ? 'AUTHORIZED'
            : 'FAILED';
  const priced = captured ?? authorized ?? failed ?? refunds[0];
  return {
    status,
    paymentId: any.paymentId,
    amountCents: priced?.amountCents ?? null,
    currency: priced?.currency ?? null,
    authorizedAt: authorized?.authorizedAt ?? null,
    capturedAt: captured?.capturedAt ?? null,
    voidedAt: voided?.voidedAt ?? null,
    failedAt: failed?.failedAt ?? null,
    refundedAt: refunds.length > 0 ? refunds.map((r) => r.refundedAt).reduce(later) : null,
    refundedCents,
    failureCode: failed?.code ?? null,
    reason: voided?.reason ?? failed?.reason ?? refunds[0]?.reason ?? null,
  };
}

/** RETURNED > COMMITTED > RELEASED > RESERVED. */
function stock(facts: OrderFacts): StockSummary | null {
  const { StockReserved: reserved, StockReleased: released, StockCommitted: committed, StockReturned: returned } = facts.slots;
  const any = reserved ?? released ?? committed ?? returned;
  if (!any) return null;
  return {
    status: returned ? 'RETURNED' : committed ? 'COMMITTED' : released ? 'RELEASED' : 'RESERVED',
    reservationId: any.reservationId,
    reservedAt: reserved?.reservedAt ?? null,
    expiresAt: reserved?.expiresAt ?? null,
    releasedAt: released?.releasedAt ?? null,
    releaseReason: released?.reason ?? null,
    committedAt: committed?.committedAt ?? null,
    returnedAt: returned?.returnedAt ?? null,
  };
}

/** FAILED > SHIPPED: a shipment that failed is not shown as on its way. */
function shipping(facts: OrderFacts): ShippingSummary | null {
  const { OrderShipped: shipped, ShipmentFailed: failed } = facts.slots;
  const any = shipped ?? failed;
  if (!any) return null;
  return {
    status: failed ? 'FAILED' : 'SHIPPED',
    shipmentId: any.shipmentId,
    carrier: shipped?.carrier ?? null,
    trackingNumber: shipped?.trackingNumber ?? null,
    shippedAt: shipped?.shippedAt ?? null,
    failedAt: failed?.failedAt ?? null,
    reasonCode: failed?.reasonCode ?? null,
    reason: failed?.reason ?? null,
  };
}
