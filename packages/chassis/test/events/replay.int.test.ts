// ctx.events.replay on both transports: what the handlers built is reset and
// every event handled again from the start, once each; a handler in flight is
// waited for (its effect is not lost or doubled); two instances, and events
// that keep arriving during the replay, change nothing about that.

import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { startService, type RunningService } from '../../src/index.ts';
import { waitFor } from '../../src/testing/index.ts';
import { consumerService, tickedEvent, type ConsumerHooks } from './fixtures.ts';
import { createScenario, type Transport } from './harness.ts';
import { natsTransport } from './nats-transport.ts';

const feed: Transport = { name: 'feed', env: () => ({}), cleanup: async () => {}, replay: async (_s, c) => c };
const nats = natsTransport;

/**
 * A scenario whose consumers have a handler deadline long enough for a test to hold a handler
 * open; the consumers stop, then the scenario closes, when the test ends.
 */
async function setup(t: TestContext, transport: Transport, label: string) {
  const s = await createScenario(transport, label);
  const consumers: RunningService[] = [];
  t.after(async () => {
    await Promise.allSettled(consumers.map((c) => c.stop()));
    await s.close();
  });
  return {
    s,
    async consumer(hooks: Partial<ConsumerHooks> = {}): Promise<RunningService> {
      const svc = await startService(
        consumerService(s.consumer, tickedEvent(s.producer), { poisonFails: () => false, ...hooks }),
        {
          env: s.env({ DATABASE_URL: s.consumerDb.url, EVENTS_HANDLER_TIMEOUT_MS: '20000' }),
        },
      );
      consumers.push(svc);
      return svc;
    },
  };
}

const resetEffects = async (trx: Kysely<any>) => {
  await sql`delete from effects`.execute(trx);
};

for (const transport of [feed, nats]) {
  describe(`replay: ${transport.name}`, () => {
    test('resets, then handles every event again once, while more arrive and two instances compete', async (t) => {
      const { s, consumer } = await setup(t, transport, 'replay');
      await s.startProducer();
      const a = await consumer();
      await consumer();
      assert.equal((await s.emit({ from: 0, count: 60, perTransaction: 6 })).status, 200);
      await s.waitForEffects(60);
      const firstIds = (await s.effects()).map((e) => e.event_id);
      const last = (await s.consumerSql<{ last: number }>('select max(seq)::int as last from effects'))[0]!.last;

      // More events while the replay runs.
      const more = s.emit({ from: 60, count: 40, perTransaction: 4 });
      assert.deepEqual(await a.ctx.events.replay({ reset: resetEffects }), { producers: [s.producer] });
      assert.equal((await more).status, 200);
      await s.waitForEffects(100);
      await waitFor(async () => (await s.consumerSql<{ n: number }>('select count(*)::int as n from souk_inbox'))[0]!.n === 100, {
        what: 'the inbox refilled',
      });
      const effects = await s.effects();
      assert.equal(effects.length, 100, 'each event once after the reset');
      assert.deepEqual(
        effects.map((e) => e.n).sort((x, y) => x - y),
        Array.from({ length: 100 }, (_, i) => i),
      );
      assert.ok(
        firstIds.every((id) => effects.some((e) => e.event_id === id)),
        'the events handled before the replay came again',
      );
      // Without the reset and the rewind, the first 60 effects would still be there and 100 in all just the same.
      const kept = (
        await s.consumerSql<{ kept: number }>('select count(*)::int as kept from effects where seq <= $1', [last])
      )[0]!.kept;
      assert.equal(kept, 0, 'every effect from before the replay was reset and made again');
      // Both transports keep the producer's order through a replay (NATS: a batch of the old consumer
      // still in flight rolls back, and the rewound stream is read through a new one).
      assert.deepEqual(
        effects.map((e) => e.event_id),
        await s.producedOrder(),
      );
    });

    test('a handler in flight is waited for; its event is not lost and not doubled', async (t) => {
      const { s, consumer } = await setup(t, transport, 'replayhold');
      await s.startProducer();
      let entered = () => {};
      const inside = new Promise<void>((r) => (entered = r));
      let release = () => {};
      const released = new Promise<void>((r) => (release = r));
      let held = false;
      const svc = await consumer({
        async inHandler(n) {
          if (n !== 7 || held) return;
          held = true;
          entered();
          await released;
        },
      });
      assert.equal((await s.emit({ from: 0, count: 15 })).status, 200);
      await inside;
      const replaying = svc.ctx.events.replay({ reset: resetEffects });
      try {
        // The replay waits on the lock the handler's transaction holds shared.
        await waitFor(
          async () =>
            (
              await s.consumerSql<{ n: number }>(
                `select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`,
              )
            )[0]!.n > 0,
          { what: 'the replay waiting for the handler' },
        );
      } finally {
        release();
      }
      await replaying;
      await s.waitForEffects(15);
      await waitFor(async () => (await s.consumerSql<{ n: number }>('select count(*)::int as n from souk_inbox'))[0]!.n === 15, {
        what: 'every event in the inbox',
      });
      const effects = await s.effects();
      assert.deepEqual(
        effects.map((e) => e.n).sort((x, y) => x - y),
        Array.from({ length: 15 }, (_, i) => i),
      );
    });

    test('a producer the service does not consume is refused', async (t) => {
      const { s, consumer } = await setup(t, transport, 'replaybad');
      await s.startProducer();
      const svc = await consumer();
      await assert.rejects(svc.ctx.events.replay({ producers: ['nobody'] }), /consumes no events of nobody/);
    });
  });
}
