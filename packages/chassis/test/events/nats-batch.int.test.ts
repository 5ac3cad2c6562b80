// What batching on NATS must not break, on the real broker (127.0.0.1:4222 or
// SOUK_TEST_NATS_URL): a key's events in order and none lost when a handler
// fails in the middle of a batch; an early message waiting for an earlier one
// still out with a dead instance; a burst handled in few transactions; and
// pipelined publishing that never stores a message after one not accepted.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import pino from 'pino';
import { streamName } from '../../src/index.ts';
import { connectNats } from '../../src/events/nats.ts';
import { buildEnvelope, type CloudEvent } from '../../src/events/envelope.ts';
import { MAX_ACK_PENDING } from '../../src/events/nats-consumer.ts';
import { waitFor } from '../../src/testing/index.ts';
import { createScenario, type Scenario } from './harness.ts';
import { NATS_URL, natsTransport } from './nats-transport.ts';

const nats = natsTransport;

/** `Ticked` events of the scenario's producer, each about one of a few keys (CloudEvents subject). */
function ticks(s: Scenario, count: number, keys: number, poison: readonly number[] = []): CloudEvent[] {
  return Array.from({ length: count }, (_, n) =>
    buildEnvelope({
      service: s.producer,
      type: `souk.${s.producer}.Ticked`,
      subject: `order-${n % keys}`,
      data: { n, ...(poison.includes(n) ? { poison: true } : {}) },
    }),
  );
}

/** Publishes straight into the producer's stream (created as the transport creates it), in order. */
async function publishAll(nc: NatsConnection, s: Scenario, events: readonly CloudEvent[]): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: streamName(s.producer), subjects: [`souk.${s.producer}.>`] }).catch(() => undefined);
  const js = jetstream(nc);
  for (const e of events) await js.publish(e.type, JSON.stringify(e), { msgID: e.id });
}

test("a handler failing in the middle of a batch: nothing lost, and no key's events overtake it", async () => {
  const s = await createScenario(nats, 'keyorder');
  const nc = await connect({ servers: NATS_URL });
  try {
    const events = ticks(s, 60, 4, [21]);
    // All in the stream before the consumer starts: its first pull brings them as one batch.
    await publishAll(nc, s, events);
    let failures = 0;
    // Tick 21 fails twice (in the batch, then alone), then succeeds: within the 3 attempts, so it is not parked.
    const consumer = await s.startConsumer({ poisonFails: () => failures++ < 2 });
    await s.waitForEffects(60);
    const effects = await s.effects();
    assert.equal(failures, 3, 'the poisoned tick failed, and was then handled');
    assert.deepEqual(
      effects.map((e) => e.event_id),
      events.map((e) => e.id),
      'handled in stream order',
    );
    const subjectOf = new Map(events.map((e) => [e.id, e.subject!]));
    for (let key = 0; key < 4; key++) {
      const mine = effects.filter((e) => subjectOf.get(e.event_id) === `order-${key}`).map((e) => e.n);
      assert.deepEqual(
        mine,
        [...mine].sort((a, b) => a - b),
        `order-${key}'s events in order`,
      );
    }
    assert.equal((await consumer.ctx.events.deadLetters.list()).length, 0);
  } finally {
    await nc.close();
    await s.close();
  }
});

test('a message that arrives while an earlier one is still out with a dead instance waits for it', async () => {
  const s = await createScenario(nats, 'gap');
  const nc = await connect({ servers: NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    const events = ticks(s, 10, 3);
    await publishAll(nc, s, events);
    // The consumer as the service makes it (ack wait 2 s in these tests); a "dead instance" takes the first message and never acks.
    await jsm.consumers.add(streamName(s.producer), {
      durable_name: s.consumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: `souk.${s.producer}.>`,
      max_ack_pending: MAX_ACK_PENDING,
      ack_wait: nanos(2_000),
    });
    const taken = await (await jetstream(nc).consumers.get(streamName(s.producer), s.consumer)).next();
    assert.equal(taken?.seq, 1);
    await s.startConsumer();
    await s.waitForEffects(10);
    assert.deepEqual(
      (await s.effects()).map((e) => e.n),
      Array.from({ length: 10 }, (_, n) => n),
      'the first tick, redelivered after its ack wait, still came first',
    );
  } finally {
    await nc.close();
    await s.close();
  }
});

test('a burst already in the stream is handled in a few transactions, not one per event', async () => {
  const s = await createScenario(nats, 'burst');
  const nc = await connect({ servers: NATS_URL });
  try {
    await publishAll(nc, s, ticks(s, 200, 7));
    await s.startConsumer();
    await s.waitForEffects(200);
    // Rows of one transaction share its start time.
    const [row] = await s.consumerSql<{ n: number; transactions: number }>(
      'select count(*)::int as n, count(distinct handled_at)::int as transactions from souk_inbox',
    );
    assert.equal(row!.n, 200);
    assert.ok(row!.transactions <= 20, `200 events in ${row!.transactions} transactions`);
    assert.deepEqual(
      (await s.effects()).map((e) => e.n),
      Array.from({ length: 200 }, (_, n) => n),
    );
  } finally {
    await nc.close();
    await s.close();
  }
});

test('pipelined publishing stores nothing after a message the broker refused, and gets past a foreign message', async () => {
  const producer = `ppub-${randomBytes(3).toString('hex')}`;
  const transport = await connectNats({ url: NATS_URL, name: producer, log: pino({ level: 'silent' }) });
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  const stream = streamName(producer);
  try {
    // A stream that refuses messages over 1 KiB: the third of five is refused.
    await jsm.streams.add({
      name: stream,
      subjects: [`souk.${producer}.>`],
      max_msg_size: 1024,
      duplicate_window: nanos(120_000),
    });
    const event = (n: number, pad = 0) =>
      buildEnvelope({ service: producer, type: `souk.${producer}.Ticked`, data: { n, pad: 'x'.repeat(pad) } });
    const batch = [event(0), event(1), event(2, 2_000), event(3), event(4)];
    await assert.rejects(transport.publisher(batch));
    const stored = async () => {
      const { state } = await jsm.streams.info(stream);
      const ids: string[] = [];
      for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++)
        ids.push((await jsm.streams.getMessage(stream, { seq }))!.json<CloudEvent>().id);
      return ids;
    };
    assert.deepEqual(await stored(), [batch[0]!.id, batch[1]!.id], 'the two before the refused one, nothing after it');

    // The relay tries again with the refused one fixed, after another publisher wrote to the stream meanwhile.
    await jetstream(nc).publish(`souk.${producer}.Other`, JSON.stringify({ foreign: true }));
    const fixed = [batch[0]!, batch[1]!, { ...batch[2]!, data: { n: 2, pad: '' } }, batch[3]!, batch[4]!];
    await transport.publisher(fixed);
    const ids = await stored();
    assert.equal(ids.length, 6, 'the two stored before were not stored again');
    assert.deepEqual(
      ids.filter((id) => id !== undefined && fixed.some((e) => e.id === id)),
      fixed.map((e) => e.id),
      'in the outbox order',
    );
  } finally {
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
    await transport.close();
  }
});

test('the durable consumer of an earlier version (one message in flight) gets the new limits', async () => {
  const s = await createScenario(nats, 'upgrade');
  const nc = await connect({ servers: NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    await publishAll(nc, s, ticks(s, 3, 1));
    await jsm.consumers.add(streamName(s.producer), {
      durable_name: s.consumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: `souk.${s.producer}.>`,
      max_ack_pending: 1,
      ack_wait: nanos(2_000),
    });
    await s.startConsumer();
    await s.waitForEffects(3);
    await waitFor(
      async () => (await jsm.consumers.info(streamName(s.producer), s.consumer)).config.max_ack_pending === MAX_ACK_PENDING,
      {
        what: 'max_ack_pending raised',
      },
    );
  } finally {
    await nc.close();
    await s.close();
  }
});
