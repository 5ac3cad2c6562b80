// The projection converges: whatever order one order's events arrive in, and
// however often each comes, the facts and the view end the same. Every
// permutation of seven events, then thousands of random orders of all of them
// with redeliveries and echoes mixed in.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { orderStory, permutations, seeded, shuffled } from '../../test/order-events.ts';
import { canonical, emptyFacts, evolve, type OrderEvent, type OrderFacts } from './order-facts.ts';
import { project } from './order-view.ts';

const fold = (orderId: string, events: readonly OrderEvent[], start: OrderFacts = emptyFacts(orderId)) =>
  events.reduce(evolve, start);
/** As the facts come back from a jsonb column: same content, keys in another order. */
const viaJsonb = (facts: OrderFacts): OrderFacts => JSON.parse(canonical(facts));

test('the story in order gives the view a user expects', () => {
  const story = orderStory();
  const view = project(fold(story.orderId, story.events));
  assert.equal(view.userId, story.userId);
  assert.equal(view.status, 'CANCELLED');
  assert.equal(view.reasonCode, 'SHIPMENT_FAILED');
  assert.equal(view.totalCents, 5250);
  assert.equal(view.items?.length, 2);
  assert.equal(view.payment?.status, 'REFUNDED');
  assert.equal(view.payment?.refundedCents, 5250);
  assert.equal(view.stock?.status, 'RETURNED');
  assert.equal(view.shipping?.status, 'FAILED');
  assert.equal(view.placedAt, '2025-06-01T10:00:00.000Z');
  assert.equal(view.updatedAt, '2025-06-01T10:09:00.000Z');
  assert.equal(view.lastEventAt, '2025-06-01T10:09:00.600Z');
});

test('each step on its own: statuses by precedence, never back', () => {
  const { orderId, events } = orderStory();
  const after = (n: number) => project(fold(orderId, events.slice(0, n)));
  assert.equal(after(1).status, 'PENDING');
  assert.equal(after(2).stock?.status, 'RESERVED');
  assert.equal(after(3).payment?.status, 'AUTHORIZED');
  assert.equal(after(4).status, 'CONFIRMED');
  assert.equal(after(5).stock?.status, 'COMMITTED');
  assert.equal(after(6).payment?.status, 'CAPTURED');
  assert.equal(after(7).shipping?.status, 'FAILED');
  // Confirmed, then cancelled: CANCELLED wins even if OrderConfirmed arrives last.
  const late = [...events.slice(0, 3), events[9]!, events[3]!];
  assert.equal(project(fold(orderId, late)).status, 'CANCELLED');
});

test('an order seen first through events that do not name the user has no owner until one does', () => {
  const { orderId, events, userId } = orderStory();
  const anonymous = fold(orderId, [events[5]!, events[1]!]); // PaymentCaptured, StockReserved
  const view = project(anonymous);
  assert.equal(view.userId, null);
  assert.equal(view.status, 'PENDING');
  assert.equal(view.items, null);
  const reserved = events[1]! as Extract<OrderEvent, { type: 'StockReserved' }>;
  assert.equal(view.placedAt, reserved.data.reservedAt, 'the earliest fact stands in for placedAt');
  assert.equal(project(evolve(anonymous, events[2]!)).userId, userId);
});

test('every permutation of seven events converges to the same facts and view', () => {
  const { orderId, events } = orderStory();
  // Placed, authorized, confirmed, captured, shipment failed, refunded, cancelled (stock in the random test below).
  const seven = [events[0]!, events[2]!, events[3]!, events[5]!, events[6]!, events[8]!, events[9]!];
  const expected = canonical(fold(orderId, seven));
  const expectedView = canonical(project(fold(orderId, seven)));
  let count = 0;
  for (const order of permutations(seven)) {
    const facts = fold(orderId, order);
    assert.equal(canonical(facts), expected, `order ${order.map((e) => e.type).join(' ')}`);
    assert.equal(canonical(project(facts)), expectedView);
    count++;
  }
  assert.equal(count, 5040);
});

test('random orders of all events, with redeliveries, echoes and jsonb round trips, converge', () => {
  const story = orderStory();
  const { orderId, events } = story;
  // An echo: the same kind of fact published again later with another id (a retried command).
  const captured = events[5]! as Extract<OrderEvent, { type: 'PaymentCaptured' }>;
  const echo: OrderEvent = {
    ...captured,
    time: '2025-06-01T11:00:00.000Z',
    data: { ...captured.data, captureId: 'cap_again', capturedAt: '2025-06-01T11:00:00.000Z' },
  };
  // A tie: same kind, same instant spelled differently, other content; settled by content, not arrival.
  const tie: OrderEvent = {
    ...captured,
    data: { ...captured.data, captureId: 'cap_0', capturedAt: captured.data.capturedAt.replace('.000Z', 'Z') },
  };
  const all = [...events, echo, tie];
  const expected = canonical(fold(orderId, all));
  const expectedView = project(fold(orderId, all));
  const random = seeded(20250601);
  for (let round = 0; round < 2000; round++) {
    const order = shuffled(all, random);
    // Some events twice (at-least-once delivery without an inbox).
    for (let i = 0; i < 3; i++) order.splice(Math.floor(random() * order.length), 0, all[Math.floor(random() * all.length)]!);
    // Part of the way, the facts go through the database and come back with their keys reordered.
    const cut = Math.floor(random() * order.length);
    const facts = fold(orderId, order.slice(cut), viaJsonb(fold(orderId, order.slice(0, cut))));
    assert.equal(canonical(facts), expected, `round ${round}: ${order.map((e) => e.type).join(' ')}`);
    assert.deepEqual(project(facts), expectedView);
  }
  // The earliest capture is the fact; the echo does not move it.
  assert.equal(expectedView.payment?.status, 'REFUNDED');
  assert.match(String(project(fold(orderId, all)).payment?.capturedAt), /^2025-06-01T10:05:00/);
});

test('adding an event again changes nothing (idempotent)', () => {
  const { orderId, events } = orderStory();
  let facts = emptyFacts(orderId);
  for (const e of events) {
    const once = evolve(facts, e);
    assert.equal(canonical(evolve(once, e)), canonical(once), e.type);
    facts = once;
  }
});

test('partial refunds add up; the status says whether all was given back', () => {
  const { orderId, events } = orderStory();
  const refund = events[8]! as Extract<OrderEvent, { type: 'PaymentRefunded' }>;
  const part = (id: string, cents: number, minute: number): OrderEvent => ({
    ...refund,
    data: { ...refund.data, refundId: id, amountCents: cents, refundedAt: `2025-06-01T10:1${minute}:00.000Z` },
  });
  const base = fold(orderId, events.slice(0, 6));
  const half = evolve(base, part('re_a', 2000, 0));
  assert.equal(project(half).payment?.status, 'PARTIALLY_REFUNDED');
  assert.equal(project(half).payment?.refundedCents, 2000);
  const full = evolve(half, part('re_b', 3250, 1));
  assert.equal(project(full).payment?.status, 'REFUNDED');
  assert.equal(project(full).payment?.refundedAt, '2025-06-01T10:11:00.000Z');
  assert.equal(canonical(evolve(full, part('re_a', 2000, 0))), canonical(full), 'the same refund again adds nothing');
});
