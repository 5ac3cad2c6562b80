// The broker relay on the real broker (127.0.0.1:4222 or SOUK_TEST_NATS_URL):
// it publishes on a connection of its own, so a service whose pool is taken by
// its own transactions still hands its events on; and a batch the stream
// partly holds already (a pass that died before marking it) goes in once each,
// in order, with its one acknowledgement.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { connect, nanos } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { sql } from 'kysely';
import pino from 'pino';
import { startService, streamName } from '../../src/index.ts';
import { connectNats } from '../../src/events/nats.ts';
import { buildEnvelope, type CloudEvent } from '../../src/events/envelope.ts';
import { OUTBOX_CHANNEL } from '../../src/events/notifier.ts';
import { producerService } from './fixtures.ts';
import { createScenario } from './harness.ts';
import { NATS_URL, natsTransport } from './nats-transport.ts';

const nats = natsTransport;

test("the relay publishes while every connection of the service's pool is taken", async () => {
  const s = await createScenario(nats, 'rpool');
  const producer = await startService(producerService(s.producer), {
    env: s.env({ DATABASE_URL: s.producerDb.url, PORT: String(s.producerPort), DATABASE_POOL_SIZE: '2' }),
  });
  let open = () => {};
  const gate = new Promise<void>((resolve) => (open = resolve));
  const held: Promise<void>[] = [];
  try {
    await s.startConsumer();
    assert.equal((await s.emit({ from: 0, count: 1 })).status, 200);
    await s.waitForEffects(1);
    // Both pooled connections in transactions that wait for the end of the test.
    let begun = 0;
    await new Promise<void>((allBegun) => {
      for (let i = 0; i < 2; i++)
        held.push(
          producer.ctx.db.transaction().execute(async (trx) => {
            await sql`select 1`.execute(trx);
            if (++begun === 2) allBegun();
            await gate;
          }),
        );
    });
    // Another instance of the producer commits an event (its outbox row and notification, as outbox.ts writes them).
    const event = buildEnvelope({ service: s.producer, type: `souk.${s.producer}.Ticked`, data: { n: 1 }, subject: '1' });
    await s.producerSql(
      `with notified as (select pg_notify($4, $2))
       insert into souk_outbox (commit_key, id, type, envelope)
       select pg_current_xact_id()::text::bigint * 4096, $1, $2, $3::jsonb from notified`,
      [event.id, event.type, JSON.stringify(event), OUTBOX_CHANNEL],
    );
    await s.waitForEffects(2);
    assert.deepEqual(
      (await s.effects()).map((e) => e.n),
      [0, 1],
    );
  } finally {
    open();
    await Promise.allSettled(held);
    await producer.stop();
    await s.close();
  }
});

test('a batch the stream partly holds already (a pass that died before its mark) is stored once each, in order', async () => {
  const producer = `rpart-${randomBytes(3).toString('hex')}`;
  const transport = await connectNats({ url: NATS_URL, name: producer, log: pino({ level: 'silent' }) });
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  const stream = streamName(producer);
  try {
    await jsm.streams.add({ name: stream, subjects: [`souk.${producer}.>`], duplicate_window: nanos(120_000) });
    const events = Array.from({ length: 6 }, (_, n) =>
      buildEnvelope({ service: producer, type: `souk.${producer}.Ticked`, data: { n } }),
    );
    await transport.publisher(events.slice(0, 3));
    await transport.publisher(events);
    const { state } = await jsm.streams.info(stream);
    const ids: string[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq; seq++)
      ids.push((await jsm.streams.getMessage(stream, { seq }))!.json<CloudEvent>().id);
    assert.deepEqual(
      ids,
      events.map((e) => e.id),
    );
  } finally {
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
    await transport.close();
  }
});
