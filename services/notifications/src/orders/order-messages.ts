// What the order messages say. Pure functions of the events' data, so the
// same event always makes the same message (a replay writes the same text).

import type { OrderCancelled, OrderConfirmed, OrderLine } from '@souk/orders/contract';
import type { OrderShipped } from '@souk/shipping/contract';

export interface Message {
  title: string;
  body: string;
}

/** Lines listed one by one; a bigger order ends with "and N more". */
export const MAX_LISTED_LINES = 10;

/** The short form of an order id people can quote to support: its first 8 hex digits. */
export function orderNumber(orderId: string): string {
  return `#${orderId.slice(0, 8).toUpperCase()}`;
}

export function formatMoney(cents: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en-IE', { style: 'currency', currency }).format(cents / 100);
  } catch {
    // A code Intl does not know (the event contract allows any three letters).
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

function line(l: OrderLine): string {
  return `${l.quantity} × ${l.name}: ${formatMoney(l.quantity * l.unitPriceCents, l.currency)}`;
}

export function orderConfirmedMessage(order: Pick<OrderConfirmed, 'orderId' | 'items' | 'totalCents' | 'currency'>): Message {
  const listed = order.items.slice(0, MAX_LISTED_LINES).map(line);
  const more = order.items.length - listed.length;
  if (more > 0) listed.push(`and ${more} more item${more === 1 ? '' : 's'}`);
  return {
    title: 'Order confirmed',
    body: [
      `Thank you! Your order ${orderNumber(order.orderId)} is confirmed.`,
      ...listed,
      `Total: ${formatMoney(order.totalCents, order.currency)}.`,
      "We'll let you know when it is on its way.",
    ].join('\n'),
  };
}

/** What the customer can do next, by the order's stable reason code; unknown codes get none. */
const NEXT_STEP: Record<string, string> = {
  OUT_OF_STOCK: 'Your cart is unchanged: take out or reduce what is missing and order again.',
  PAYMENT_DECLINED: 'Your card was declined and not charged; you can order again with another payment method.',
  PAYMENT_UNAVAILABLE: 'Payments could not be taken just now; please try again in a few minutes.',
  STEP_TIMED_OUT: 'Part of the checkout took too long; please try again in a few minutes.',
  SHIPMENT_FAILED: 'Any payment taken for it is refunded.',
};

export function orderCancelledMessage(order: Pick<OrderCancelled, 'orderId' | 'reasonCode' | 'reason'>): Message {
  const reason = order.reason.trim().replace(/[.!]*$/, '');
  const next = NEXT_STEP[order.reasonCode];
  return {
    title: 'Order cancelled',
    body: `Your order ${orderNumber(order.orderId)} was cancelled: ${reason}.${next ? ` ${next}` : ''}`,
  };
}

export function orderShippedMessage(shipment: Pick<OrderShipped, 'orderId' | 'carrier' | 'trackingNumber'>): Message {
  return {
    title: 'Your order is on its way',
    body: `Order ${orderNumber(shipment.orderId)} has left our warehouse with ${shipment.carrier}. Tracking number: ${shipment.trackingNumber}.`,
  };
}
