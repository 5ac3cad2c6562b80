// What the projection knows about one order: the facts other services
// announced, one slot per kind of fact, and `evolve`, the pure rule that adds
// an event to them. Events of different producers arrive in any order and
// may come twice, so evolve is a merge: the result is the same whatever the
// order (commutative), and an event added again changes nothing (idempotent).
// The view a user reads is derived from the facts (order-view.ts).

import type { OrderCancelled, OrderConfirmed, OrderPlaced } from '@souk/orders/contract';
import type { PaymentAuthorized, PaymentCaptured, PaymentFailed, PaymentRefunded, PaymentVoided } from '@souk/payments/contract';
import type { StockCommitted, StockReleased, StockReserved, StockReturned } from '@souk/inventory/contract';
import type { OrderShipped, ShipmentFailed } from '@souk/shipping/contract';

/** The events the projection reads, as the handlers hand them to evolve. */
export type OrderEvent =
  | { type: 'OrderPlaced'; time: string; data: OrderPlaced }
  | { type: 'OrderConfirmed'; time: string; data: OrderConfirmed }
  | { type: 'OrderCancelled'; time: string; data: OrderCancelled }
  | { type: 'PaymentAuthorized'; time: string; data: PaymentAuthorized }
  | { type: 'PaymentFailed'; time: string; data: PaymentFailed }
  | { type: 'PaymentCaptured'; time: string; data: PaymentCaptured }
  | { type: 'PaymentVoided'; time: string; data: PaymentVoided }
  | { type: 'PaymentRefunded'; time: string; data: PaymentRefunded }
  | { type: 'StockReserved'; time: string; data: StockReserved }
  | { type: 'StockReleased'; time: string; data: StockReleased }
  | { type: 'StockCommitted'; time: string; data: StockCommitted }
  | { type: 'StockReturned'; time: string; data: StockReturned }
  | { type: 'OrderShipped'; time: string; data: OrderShipped }
  | { type: 'ShipmentFailed'; time: string; data: ShipmentFailed };

export type OrderEventType = OrderEvent['type'];
type DataOf<T extends OrderEventType> = Extract<OrderEvent, { type: T }>['data'];

/** Every kind of fact but refunds (of which an order may have several) has one slot. */
export type SlotType = Exclude<OrderEventType, 'PaymentRefunded'>;

export interface OrderFacts {
  orderId: string;
  /** One fact per kind: the event's payload as published. */
  slots: { [T in SlotType]?: DataOf<T> };
  /** Refunds by refundId (partial refunds add up). */
  refunds: Record<string, PaymentRefunded>;
  /** The newest CloudEvents `time` among the events added. */
  lastEventAt: string | null;
}

/** Where each kind of event says when its fact happened (the producer's own timestamp in the payload). */
const TIME_KEY = {
  OrderPlaced: 'placedAt',
  OrderConfirmed: 'confirmedAt',
  OrderCancelled: 'cancelledAt',
  PaymentAuthorized: 'authorizedAt',
  PaymentFailed: 'failedAt',
  PaymentCaptured: 'capturedAt',
  PaymentVoided: 'voidedAt',
  PaymentRefunded: 'refundedAt',
  StockReserved: 'reservedAt',
  StockReleased: 'releasedAt',
  StockCommitted: 'committedAt',
  StockReturned: 'returnedAt',
  OrderShipped: 'shippedAt',
  ShipmentFailed: 'failedAt',
} as const satisfies Record<OrderEventType, string>;

/** When a fact of this kind happened. */
export function timeOf(type: OrderEventType, data: object): string {
  return (data as Record<string, string>)[TIME_KEY[type]]!;
}

export function emptyFacts(orderId: string): OrderFacts {
  return { orderId, slots: {}, refunds: {}, lastEventAt: null };
}

/** Adds one event to the facts (pure). */
export function evolve(facts: OrderFacts, event: OrderEvent): OrderFacts {
  const lastEventAt = later(facts.lastEventAt, event.time);
  if (event.type === 'PaymentRefunded') {
    const id = event.data.refundId;
    return { ...facts, refunds: { ...facts.refunds, [id]: first(event.type, facts.refunds[id], event.data) }, lastEventAt };
  }
  const type: SlotType = event.type;
  const current = facts.slots[type];
  return { ...facts, slots: { ...facts.slots, [type]: first(type, current, event.data) }, lastEventAt };
}

/**
 * Two facts of one kind (a producer that published twice, with other ids): the earlier one is the
 * fact, later ones are echoes; equal times are settled by content, so every order of arrival agrees.
 */
function first<T extends object>(type: OrderEventType, current: T | undefined, incoming: T): T {
  if (current === undefined) return incoming;
  const diff = Date.parse(timeOf(type, current)) - Date.parse(timeOf(type, incoming));
  if (diff < 0) return current;
  if (diff > 0) return incoming;
  return canonical(current) <= canonical(incoming) ? current : incoming;
}

/** The later of two ISO times (null: none yet), in one spelling (toISOString), so that equal instants compare equal as text too. */
export function later(a: string | null, b: string): string {
  return iso(a !== null && Date.parse(a) >= Date.parse(b) ? a : b);
}

/** The earlier of two ISO times, spelled as toISOString. */
export function earlier(a: string, b: string): string {
  return iso(Date.parse(a) <= Date.parse(b) ? a : b);
}

export function iso(time: string): string {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? time : new Date(ms).toISOString();
}

/** JSON with keys sorted: the same content gives the same text, whatever order jsonb gave the keys back in. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
