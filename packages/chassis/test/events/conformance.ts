// The event transport conformance suite. Every transport runs the same
// scenarios and must give the same guarantees: each producer's events handled
// in order, at least once with exactly-once effects (the inbox), nothing lost
// when a producer dies after its commit or a consumer dies inside a handler,
// poison events dead-lettered after bounded redelivery and handled after
// redrive, and the producer's trace continued in the consumer.

import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import pg from 'pg';
import type { EventStatus } from '../../src/index.ts';
import { RELAY_LOCK } from '../../src/events/relay.ts';
import { waitFor } from '../../src/testing/index.ts';
import { createScenario, waitReady, type Scenario, type Transport } from './harness.ts';

/** A scenario closed when its test ends: its services and databases do not outlive it. */
export async function scenarioFor(t: TestContext, transport: Transport, label: string): Promise<Scenario> {
  const s = await createScenario(transport, label);
  t.after(() => s.close());
  return s;
}

export function conformanceSuite(transport: Transport, extra?: () => void): void {
  describe(`event transport conformance: ${transport.name}`, () => {
    test('every event is handled once, in the order the producer committed them, other types skipped', async (t) => {
      const s = await scenarioFor(t, transport, 'order');
      const producer = await s.startProducer();
      const consumer = await s.startConsumer();
      // Concurrent transactions: commit order, not insert order, is the order to keep.
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => s.emit({ from: i * 20, count: 20, perTransaction: 4, tocks: i % 2 === 0 })),
      );
      for (const r of results) assert.equal(r.status, 200);
      await s.waitForEffects(200);
      const effects = await s.effects();
      assert.equal(effects.length, 200);
      assert.deepEqual(
        effects.map((e) => e.event_id),
        await s.producedOrder(),
        "handled in the producer's order",
      );
      assert.equal(new Set(effects.map((e) => e.n)).size, 200, 'no tick handled twice');

      // The operator's summary of both sides.
      const { issuer } = s;
      const admin = { authorization: `Bearer ${await issuer.token({ roles: ['admin'] })}` };
      assert.equal((await fetch(`${producer.adminUrl}/_admin/events`)).status, 401);
      const produced = (await (await fetch(`${producer.adminUrl}/_admin/events`, { headers: admin })).json()) as EventStatus;
      assert.equal(produced.transport, transport.name);
      assert.deepEqual(
        produced.publishes.map((p) => p.type),
        [`souk.${s.producer}.Ticked`, `souk.${s.producer}.Tocked`],
      );
      assert.equal(produced.outbox.head, 300);
      assert.equal(produced.outbox.unsequenced, 0);
      const consumed = (await (await fetch(`${consumer.adminUrl}/_admin/events`, { headers: admin })).json()) as EventStatus;
      assert.deepEqual(consumed.subscriptions, [{ type: `souk.${s.producer}.Ticked`, producer: s.producer }]);
      assert.equal(consumed.deadLetters, 0);
      if (transport.name === 'feed') assert.equal(consumed.cursors[0]!.position, 300);
    });

    test('two consumer instances share one stream without handling any event twice, and one takes over when the other stops', async (t) => {
      const s = await scenarioFor(t, transport, 'compete');
      await s.startProducer();
      const first = await s.startConsumer();
      await s.startConsumer();
      assert.equal((await s.emit({ from: 0, count: 150, perTransaction: 5 })).status, 200);
      await s.waitForEffects(150);
      await first.stop();
      assert.equal((await s.emit({ from: 150, count: 50 })).status, 200);
      await s.waitForEffects(200);
      const effects = await s.effects();
      assert.equal(effects.length, 200);
      assert.equal(new Set(effects.map((e) => e.event_id)).size, 200);
      assert.deepEqual(
        effects.map((e) => e.event_id),
        await s.producedOrder(),
      );
      assert.ok(
        effects.slice(150).every((e) => e.instance !== first.ctx.instanceId),
        'the stopped instance handled nothing after stopping',
      );
    });

    test('slow handlers with two instances: a page that outlasts the lease still completes, nothing twice', async (t) => {
      const s = await scenarioFor(t, transport, 'slow');
      await s.startProducer();
      // 100 events × 30 ms = 3 s per page, beyond the 2 s lease: the holder must keep its lease while it works.
      await s.startConsumer({ slowMs: 30 });
      await s.startConsumer({ slowMs: 30 });
      assert.equal((await s.emit({ from: 0, count: 100, perTransaction: 100 })).status, 200);
      await s.waitForEffects(100, 60_000);
      const effects = await s.effects();
      assert.deepEqual(
        effects.map((e) => e.n),
        Array.from({ length: 100 }, (_, i) => i),
      );
    });

    test('a handler that hangs counts as a failed attempt until the event is parked; the stream moves on', async (t) => {
      const s = await scenarioFor(t, transport, 'hang');
      await s.startProducer();
      let release = () => {};
      const released = new Promise<void>((r) => (release = r));
      const consumer = await s.startConsumer({ inHandler: async (n) => (n === 2 ? released : undefined) });
      try {
        assert.equal((await s.emit({ from: 0, count: 5 })).status, 200);
        const letters = await waitFor(
          async () => {
            const list = await consumer.ctx.events.deadLetters.list();
            return list.length === 1 ? list : undefined;
          },
          { timeoutMs: 60_000, what: 'the hung event parked' },
        );
        assert.equal(letters[0]!.eventId, (await s.producedOrder())[2]);
        assert.match(letters[0]!.error, /still running past the 1500 ms deadline|did not finish within 1500 ms/);
        await s.waitForEffects(4, 30_000);
        assert.deepEqual(
          (await s.effects()).map((e) => e.n),
          [0, 1, 3, 4],
        );
      } finally {
        release();
      }
    });

    test('a redelivered event is skipped by the inbox', async (t) => {
      const s = await scenarioFor(t, transport, 'inbox');
      await s.startProducer();
      const first = await s.startConsumer();
      assert.equal((await s.emit({ from: 0, count: 20 })).status, 200);
      await s.waitForEffects(20);
      // Every event of the stream delivered a second time, as after a lost ack.
      const consumer = await transport.replay(s, first);
      const type = `souk.${s.producer}.Ticked`;
      await waitFor(
        async () =>
          metric(await (await fetch(`${consumer.adminUrl}/metrics`)).text(), 'souk_events_duplicates_total', type) === 20,
        {
          timeoutMs: 20_000,
          what: 'the 20 replayed events to reach the consumer',
        },
      );
      assert.equal((await s.emit({ from: 20, count: 1 })).status, 200);
      await s.waitForEffects(21);
      const effects = await s.effects();
      assert.equal(effects.length, 21, 'replayed events made no second effect');
      assert.deepEqual(
        effects.map((e) => e.n),
        Array.from({ length: 21 }, (_, i) => i),
      );
    });

    test('a poison event is dead-lettered after bounded redelivery, the stream moves on, and a redrive handles it once fixed', async (t) => {
      const s = await scenarioFor(t, transport, 'poison');
      const producer = await s.startProducer();
      let broken = true;
      const consumer = await s.startConsumer({ poisonFails: () => broken });
      assert.equal((await s.emit({ from: 0, count: 10, poison: [4] })).status, 200);
      await s.waitForEffects(9);
      const letters = await waitFor(
        async () => {
          const list = await consumer.ctx.events.deadLetters.list();
          return list.length === 1 ? list : undefined;
        },
        { what: 'a dead letter' },
      );
      assert.equal(letters[0]!.attempts, 3);
      assert.match(letters[0]!.error, /tick 4 is poison/);
      assert.deepEqual(
        (await s.effects()).map((e) => e.n),
        [0, 1, 2, 3, 5, 6, 7, 8, 9],
      );

      // The operator's view: admin endpoint, admin token only.
      const { issuer } = s;
      const base = `${consumer.adminUrl}/_admin/events/dead-letters`;
      assert.equal((await fetch(base)).status, 401);
      assert.equal((await fetch(base, { headers: { authorization: `Bearer ${await issuer.token()}` } })).status, 403);
      const admin = { authorization: `Bearer ${await issuer.token({ roles: ['admin'] })}` };
      const listed = (await (await fetch(base, { headers: admin })).json()) as { deadLetters: { deadLetterId: number }[] };
      const id = listed.deadLetters[0]!.deadLetterId;
      const detail = (await (await fetch(`${base}/${id}`, { headers: admin })).json()) as { event: { data: unknown } };
      assert.deepEqual(detail.event.data, { n: 4, poison: true });

      const failed = await fetch(`${base}/${id}/redrive`, { method: 'POST', headers: admin });
      assert.equal(failed.status, 409, 'still broken: the redrive fails and the letter stays');
      assert.equal(((await failed.json()) as { code: string }).code, 'SOUK_EVENTS_REDRIVE_FAILED');
      broken = false;
      const redriven = await fetch(`${base}/${id}/redrive`, { method: 'POST', headers: admin });
      assert.equal(redriven.status, 200);
      assert.deepEqual(await redriven.json(), { deadLetterId: id, outcome: 'handled' });
      assert.deepEqual(
        (await s.effects()).map((e) => e.n).sort((a, b) => a - b),
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      );
      assert.equal((await consumer.ctx.events.deadLetters.list()).length, 0);
      assert.equal((await fetch(`${base}/999999`, { headers: admin })).status, 404);

      // What an operator's dashboard reads.
      const type = `souk.${s.producer}.Ticked`;
      const consumed = await (await fetch(`${consumer.adminUrl}/metrics`)).text();
      assert.equal(metric(consumed, 'souk_events_handled_total', type), 10);
      assert.equal(metric(consumed, 'souk_events_dead_lettered_total', type), 1);
      assert.ok(metric(consumed, 'souk_events_failed_total', type)! >= 3);
      assert.ok(metric(consumed, 'souk_event_handle_duration_seconds_count', type)! >= 10);
      assert.ok(metric(consumed, 'souk_event_delivery_latency_seconds_count', type)! >= 10);
      assert.match(consumed, new RegExp(`souk_event_consumer_lag\\{[^}]*producer="${s.producer}"`));
      const produced = await (await fetch(`${producer.adminUrl}/metrics`)).text();
      assert.equal(metric(produced, 'souk_outbox_backlog'), 0);
      assert.ok(metric(produced, 'souk_event_publish_duration_seconds_count', type)! >= 10);
    });

    test("the producing request's trace continues in the consumer", async (t) => {
      const s = await scenarioFor(t, transport, 'trace');
      await s.startProducer();
      await s.startConsumer();
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      assert.equal((await s.emit({ from: 0, count: 1 }, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` })).status, 200);
      await s.waitForEffects(1);
      assert.equal((await s.effects())[0]!.trace_id, traceId);
    });

    test('a producer killed right after its commit loses nothing: the next instance delivers', async (t) => {
      const s = await scenarioFor(t, transport, 'pcrash');
      await s.startConsumer();
      const producer = s.spawnFixture('producer');
      await waitReady(s.producerUrl);
      assert.equal((await s.emit({ from: 0, count: 5 })).status, 200);
      await s.waitForEffects(5);
      // Hold the relay's lock, so that "before the relay ran" does not depend on timing.
      const relayLock = new pg.Client({ connectionString: s.producerDb.url });
      relayLock.on('error', () => undefined); // ended with the database when the scenario closes
      await relayLock.connect();
      await relayLock.query('select pg_advisory_lock($1)', [RELAY_LOCK]);
      // The process dies inside the request, right after the transaction commits.
      await s.emit({ from: 5, count: 20, perTransaction: 20, crashAfterCommit: true }).catch(() => undefined);
      await producer.kill();
      const committed = await s.producerSql<{ n: number }>('select count(*)::int as n from ticks');
      assert.equal(committed[0]!.n, 25, 'the transaction committed before the crash');
      assert.equal((await s.effects()).length, 5, 'nothing of the crashed transaction reached the consumer');
      if (transport.name === 'nats') {
        // The broker relay numbers what it publishes; the embedded feed has no relay (its rows are in the feed at commit).
        const undelivered = await s.producerSql<{ n: number }>(
          'select count(*)::int as n from souk_outbox where position is null',
        );
        assert.equal(undelivered[0]!.n, 20, 'the crash came before the relay could deliver them');
      }
      await relayLock.end();
      await s.startProducer(); // a new instance on the same database and address
      await s.waitForEffects(25);
      const effects = await s.effects();
      assert.deepEqual(
        effects.map((e) => e.n),
        Array.from({ length: 25 }, (_, i) => i),
      );
    });

    test('a consumer killed inside a handler loses nothing and makes no effect twice', async (t) => {
      const s = await scenarioFor(t, transport, 'ccrash');
      await s.startProducer();
      const doomed = s.spawnFixture('consumer', { FIXTURE_HANG_AT: '7' });
      assert.equal((await s.emit({ from: 0, count: 15 })).status, 200);
      await doomed.line(/^HANDLING 7$/);
      await doomed.kill('SIGKILL');
      const before = await s.effects();
      // What committed before the crash is a prefix (a transport may batch several events per transaction); 7 never did.
      const done = before.map((e) => e.n);
      assert.ok(done.length <= 7, `the hanging handler's effect never committed: ${done.join(',')}`);
      assert.deepEqual(
        done,
        Array.from({ length: done.length }, (_, i) => i),
      );
      await s.startConsumer(); // takes over once the dead instance's lease runs out
      await s.waitForEffects(15);
      const effects = await s.effects();
      assert.deepEqual(
        effects.map((e) => e.n),
        Array.from({ length: 15 }, (_, i) => i),
      );
    });

    extra?.();
  });
}

/** The value of a Prometheus sample, optionally the one labelled with an event type. */
function metric(text: string, name: string, type?: string): number | undefined {
  const labels = type ? `\\{[^}]*type="${type.replace(/\./g, '\\.')}"[^}]*\\}` : '(?:\\{[^}]*\\})?';
  const m = new RegExp(`^${name}${labels} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}
