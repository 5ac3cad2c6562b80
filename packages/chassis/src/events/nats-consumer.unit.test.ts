// When a NATS consumer's run waits for the rest of a burst before its transaction, and when it goes at once.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gathers, MAX_ACK_PENDING, MAX_BATCH } from './nats-consumer.ts';

const run = (length: number, lastPending: number) =>
  Array.from({ length }, (_, i) => ({ pending: i === length - 1 ? lastPending : lastPending + length - 1 - i }));

test('a run whose last message says more is pending waits for it', () => {
  assert.equal(gathers(run(3, 40), 200, 3), true);
});

test('a message that arrives with nothing pending behind it (a steady rate) is handled at once', () => {
  assert.equal(gathers(run(1, 0), 200, 1), false);
  assert.equal(gathers(run(5, 0), 200, 5), false);
});

test('a full run goes at once, whatever is pending', () => {
  assert.equal(gathers(run(MAX_BATCH, 1_000), 200, MAX_BATCH), false);
});

test('a run does not wait for messages the broker will not send now', () => {
  assert.equal(gathers(run(3, 40), 0, 3), false, 'no pull request asks for more');
  assert.equal(gathers(run(3, 40), 200, MAX_ACK_PENDING), false, 'max_ack_pending messages are out with us');
});
