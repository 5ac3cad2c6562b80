// The bounded hashing queue, driven by hand-resolved work (no timing): at most
// `concurrency` run, at most `maxWaiting` wait, one client holds at most
// `perClient` and never runs on every place, waiting clients are served in
// turn, the first lane goes first, the second gets half the waiting places.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHashQueue, isHashQueueFull, type HashLane, type HashQueueClock, type HashQueuePolicy } from './hash-queue.ts';

/** A clock the test moves by hand, with the timers the queue sets. */
function manualClock(): HashQueueClock & { advance(ms: number): void } {
  let now = 0;
  let timers: { at: number; fn: () => void }[] = [];
  return {
    now: () => now,
    after(ms, fn) {
      const timer = { at: now + ms, fn };
      timers.push(timer);
      return () => void (timers = timers.filter((t) => t !== timer));
    },
    advance(ms) {
      now += ms;
      for (let due = timers.find((t) => t.at <= now); due; due = timers.find((t) => t.at <= now)) {
        timers = timers.filter((t) => t !== due);
        due.fn();
      }
    },
  };
}

/** Work that finishes when the test says so, recording when it started. */
function harness(policy: HashQueuePolicy = { concurrency: 2, maxWaiting: 4, perClient: 3 }) {
  const clock = manualClock();
  const queue = createHashQueue(policy, clock);
  const started: string[] = [];
  const finish = new Map<string, () => void>();
  const outcomes = new Map<string, string>();
  function submit(name: string, client: string, lane: HashLane = 'first', failures = 0): Promise<void> {
    return queue
      .run(
        client,
        lane,
        () => {
          started.push(name);
          return new Promise<string>((resolve) => finish.set(name, () => resolve(name)));
        },
        failures,
      )
      .then(
        (v) => void outcomes.set(name, `done ${v}`),
        (err: unknown) => void outcomes.set(name, isHashQueueFull(err) ? `shed ${err.reason}` : `error ${String(err)}`),
      );
  }
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
  return { queue, clock, started, finish, outcomes, submit, tick };
}

describe('hash queue', () => {
  it('runs at most `concurrency` at once and starts the next when one finishes', async () => {
    const h = harness();
    for (const n of ['a', 'b', 'c']) void h.submit(n, n);
    await h.tick();
    assert.deepEqual(h.started, ['a', 'b']);
    assert.deepEqual(h.queue.stats(), { running: 2, waiting: 1, clients: 3 });
    h.finish.get('a')!();
    await h.tick();
    assert.deepEqual(h.started, ['a', 'b', 'c']);
    assert.equal(h.outcomes.get('a'), 'done a');
  });

  it('sheds at once when every waiting place is taken', async () => {
    const h = harness();
    for (const n of ['r1', 'r2', 'w1', 'w2', 'w3', 'w4', 'x']) void h.submit(n, n);
    await h.tick();
    assert.equal(h.outcomes.get('x'), 'shed busy');
    assert.deepEqual(h.queue.stats(), { running: 2, waiting: 4, clients: 6 });
  });

  it('lets one client hold at most `perClient` places, so others still get in', async () => {
    const h = harness();
    for (const n of ['f1', 'f2', 'f3', 'f4']) void h.submit(n, 'flood');
    await h.tick();
    assert.equal(h.outcomes.get('f4'), 'shed client');
    assert.deepEqual(h.queue.stats(), { running: 1, waiting: 2, clients: 1 });
  });

  it('keeps a place for other addresses: a customer after a burst from a flood starts at once', async () => {
    const h = harness({ concurrency: 2, maxWaiting: 8, perClient: 6 });
    for (const n of ['f1', 'f2', 'f3', 'f4', 'f5', 'f6']) void h.submit(n, 'flood');
    await h.tick();
    // One of the two places: the flood's other hashes wait, the other place stays free.
    assert.deepEqual(h.started, ['f1']);
    void h.submit('legit', 'customer');
    await h.tick();
    assert.deepEqual(h.started, ['f1', 'legit']);
    h.finish.get('f1')!();
    await h.tick();
    assert.deepEqual(h.started, ['f1', 'legit', 'f2']);
  });

  it('gives the next place to the waiting client served longest ago, not to whoever queued first', async () => {
    const h = harness({ concurrency: 2, maxWaiting: 8, perClient: 6 });
    for (const n of ['a1', 'a2', 'a3']) void h.submit(n, 'a');
    for (const n of ['b1', 'b2', 'b3']) void h.submit(n, 'b');
    void h.submit('c1', 'c');
    await h.tick();
    assert.deepEqual(h.started, ['a1', 'b1']);
    // a's and b's hashes queued before c's, but c has not been served yet.
    h.finish.get('a1')!();
    await h.tick();
    assert.deepEqual(h.started, ['a1', 'b1', 'c1']);
    // Then a (served before b), then b: one hash per address in turn.
    h.finish.get('b1')!();
    await h.tick();
    h.finish.get('c1')!();
    await h.tick();
    assert.deepEqual(h.started, ['a1', 'b1', 'c1', 'a2', 'b2']);
  });

  it('lets a lone client use a single place', async () => {
    const h = harness({ concurrency: 1, maxWaiting: 4, perClient: 3 });
    for (const n of ['a1', 'a2']) void h.submit(n, 'a');
    await h.tick();
    assert.deepEqual(h.started, ['a1']);
    h.finish.get('a1')!();
    await h.tick();
    assert.deepEqual(h.started, ['a1', 'a2']);
  });

  it('starts the first lane before the second (clean sign-ins before sign-ups and failing addresses)', async () => {
    const h = harness();
    void h.submit('r1', 'a');
    void h.submit('r2', 'b');
    void h.submit('up', 'c', 'second');
    void h.submit('in', 'd', 'first');
    await h.tick();
    h.finish.get('r1')!();
    await h.tick();
    assert.deepEqual(h.started, ['r1', 'r2', 'in']);
  });

  it('gives the second lane at most half of the waiting places', async () => {
    const h = harness();
    void h.submit('r1', 'a');
    void h.submit('r2', 'b');
    for (const n of ['u1', 'u2', 'u3']) void h.submit(n, n, 'second');
    void h.submit('in', 'd', 'first');
    await h.tick();
    assert.equal(h.outcomes.get('u3'), 'shed busy');
    assert.equal(h.outcomes.get('in'), undefined);
    assert.deepEqual(h.queue.stats(), { running: 2, waiting: 3, clients: 5 });
  });

  const policy = { concurrency: 2, maxWaiting: 8, perClient: 6, failingAfter: 3, quietMs: 500, maxHoldMs: 2_000 };

  it('lets a failing address hash only when nobody else does, and a while after the last one', async () => {
    const h = harness(policy);
    void h.submit('g1', 'guesser', 'second', 3);
    await h.tick();
    assert.deepEqual(h.started, ['g1'], 'alone, it hashes');
    void h.submit('c1', 'customer');
    void h.submit('g2', 'guesser2', 'second', 5);
    await h.tick();
    assert.deepEqual(h.started, ['g1', 'c1'], 'a place is free, but the customer hashes');
    h.finish.get('c1')!();
    await h.tick();
    h.clock.advance(400);
    await h.tick();
    // The customer's next step (its next sign-in) comes within the quiet time: still nothing for the guessers.
    assert.deepEqual(h.started, ['g1', 'c1']);
    h.clock.advance(100);
    await h.tick();
    assert.deepEqual(h.started, ['g1', 'c1', 'g2']);
  });

  it('moves a burst that was admitted before its address failed behind everybody else', async () => {
    const h = harness(policy);
    for (const n of ['f1', 'f2', 'f3', 'f4', 'f5']) void h.submit(n, 'flood');
    await h.tick();
    assert.deepEqual(h.started, ['f1']);
    for (const n of ['f1', 'f2', 'f3']) {
      h.finish.get(n)!();
      await h.tick();
      h.queue.failed('flood');
    }
    assert.deepEqual(h.started, ['f1', 'f2', 'f3', 'f4'], 'until its third failure it waits as anybody does');
    void h.submit('c1', 'customer');
    await h.tick();
    h.finish.get('f4')!();
    await h.tick();
    h.clock.advance(1_000);
    await h.tick();
    assert.deepEqual(h.started, ['f1', 'f2', 'f3', 'f4', 'c1'], 'f5 waits while the customer hashes');
    h.finish.get('c1')!();
    await h.tick();
    h.clock.advance(500);
    await h.tick();
    assert.deepEqual(h.started, ['f1', 'f2', 'f3', 'f4', 'c1', 'f5']);
  });

  it('refuses a failing address whose hash waited too long (busy), never an endless wait', async () => {
    const h = harness(policy);
    void h.submit('c1', 'customer');
    void h.submit('g1', 'guesser', 'second', 4);
    await h.tick();
    h.clock.advance(1_999);
    await h.tick();
    assert.equal(h.outcomes.get('g1'), undefined);
    h.clock.advance(1);
    await h.tick();
    assert.equal(h.outcomes.get('g1'), 'shed busy');
    assert.deepEqual(h.queue.stats(), { running: 1, waiting: 0, clients: 1 });
  });

  it('frees the place of work that fails, and passes the failure on', async () => {
    const queue = createHashQueue({ concurrency: 1, maxWaiting: 0, perClient: 1 });
    await assert.rejects(
      queue.run('a', 'first', () => Promise.reject(new Error('boom'))),
      /boom/,
    );
    assert.deepEqual(queue.stats(), { running: 0, waiting: 0, clients: 0 });
    assert.equal(await queue.run('a', 'first', () => Promise.resolve(7)), 7);
  });
});
