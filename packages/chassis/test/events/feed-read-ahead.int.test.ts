// Behind the feed, the consumer reads its next page while the handlers of a
// full one run (feed-consumer.ts): the producer serves it meanwhile, and a
// page that does not end where that read began (a handler failed and will be
// retried) drops the read, so nothing is skipped or handled twice.

import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { startService, type RunningService } from '../../src/index.ts';
import { waitFor } from '../../src/testing/index.ts';
import { scenarioFor } from './conformance.ts';
import { consumerService, tickedEvent, type ConsumerHooks } from './fixtures.ts';
import type { Scenario, Transport } from './harness.ts';

const feed: Transport = { name: 'feed', env: () => ({}), cleanup: async () => {}, replay: async (_s, c) => c };

/** A consumer whose handler may wait for the test far longer than the suite's 1.5 s handler timeout. */
async function patientConsumer(t: TestContext, s: Scenario, hooks: Partial<ConsumerHooks>): Promise<RunningService> {
  const svc = await startService(consumerService(s.consumer, tickedEvent(s.producer), { poisonFails: () => false, ...hooks }), {
    env: s.env({ DATABASE_URL: s.consumerDb.url, EVENTS_HANDLER_TIMEOUT_MS: '60000' }),
  });
  t.after(() => svc.stop());
  return svc;
}

/** Ticked events the producer has served at least once (its commit → first served histogram). */
async function served(producer: RunningService, s: Scenario): Promise<number> {
  const text = await (await fetch(`${producer.adminUrl}/metrics`)).text();
  const type = `souk.${s.producer}.Ticked`.replace(/\./g, '\\.');
  const m = new RegExp(`^souk_event_publish_duration_seconds_count\\{[^}]*type="${type}"[^}]*\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** A full page (the consumer's 100): the consumer is behind, so it reads ahead. */
const PAGE = 100;

/** Resolves `release` from the test; the handler of the first event of the first page waits for it (once). */
function gate() {
  let release = () => {};
  const opened = new Promise<void>((r) => (release = r));
  let entered = () => {};
  const inside = new Promise<void>((r) => (entered = r));
  let first = true;
  return {
    release,
    inside,
    async wait(n: number) {
      if (n !== 0 || !first) return;
      first = false;
      entered();
      await opened;
    },
  };
}

test('the page after a full one is read while its handlers run, and handled after it in order', async (t) => {
  const s = await scenarioFor(t, feed, 'ahead');
  const producer = await s.startProducer();
  const g = gate();
  await patientConsumer(t, s, { inHandler: (n) => g.wait(n) });
  assert.equal((await s.emit({ from: 0, count: PAGE, perTransaction: PAGE })).status, 200);
  await g.inside;
  try {
    // The page 0–99 is in its handlers, held at 0. The producer serves 100–104 only if the consumer asks for them now.
    assert.equal((await s.emit({ from: PAGE, count: 5, perTransaction: 5 })).status, 200);
    await waitFor(async () => (await served(producer, s)) === PAGE + 5, { timeoutMs: 30_000, what: 'the next page served' });
  } finally {
    g.release();
  }
  await s.waitForEffects(PAGE + 5);
  assert.deepEqual(
    (await s.effects()).map((e) => e.n),
    Array.from({ length: PAGE + 5 }, (_, i) => i),
  );
});

test('a page that fails and is retried drops the page read ahead: nothing is skipped or handled twice', async (t) => {
  const s = await scenarioFor(t, feed, 'drop');
  const producer = await s.startProducer();
  const g = gate();
  let failures = 0;
  await patientConsumer(t, s, {
    async inHandler(n) {
      await g.wait(n);
      // Fails in the page's transaction, then once more on its own (after 0 and 1 committed): a retry from 2.
      if (n === 2 && failures < 2) {
        failures++;
        throw new Error('tick 2 fails twice');
      }
    },
  });
  assert.equal((await s.emit({ from: 0, count: PAGE, perTransaction: PAGE })).status, 200);
  await g.inside;
  try {
    assert.equal((await s.emit({ from: PAGE, count: 5, perTransaction: 5 })).status, 200);
    // 100–104 read ahead while the page 0–99 is in its handlers; then 2 fails, so that read starts at the wrong place.
    await waitFor(async () => (await served(producer, s)) === PAGE + 5, { timeoutMs: 30_000, what: 'the next page read ahead' });
  } finally {
    g.release();
  }
  await s.waitForEffects(PAGE + 5);
  const effects = await s.effects();
  assert.equal(failures, 2);
  assert.deepEqual(
    effects.map((e) => e.n),
    Array.from({ length: PAGE + 5 }, (_, i) => i),
  );
  assert.deepEqual(
    effects.map((e) => e.event_id),
    await s.producedOrder(),
  );
});
