// The conformance suite on NATS JetStream (the server on 127.0.0.1:4222, or
// SOUK_TEST_NATS_URL), plus what only a broker can do: restart under a steady
// stream of events, here on a private nats-server so other tests keep theirs.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { streamName } from '../../src/index.ts';
import { freePort, waitFor } from '../../src/testing/index.ts';
import { conformanceSuite, scenarioFor } from './conformance.ts';
import { createScenario, type Transport } from './harness.ts';

const NATS_URL = process.env.SOUK_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const NATS_SERVER = process.env.SOUK_TEST_NATS_SERVER ?? '/usr/sbin/nats-server';

function natsTransport(url: string): Transport {
  return {
    name: 'nats',
    env: () => ({ NATS_URL: url }),
    async cleanup(producer) {
      const nc = await connect({ servers: url });
      try {
        await (await jetstreamManager(nc)).streams.delete(streamName(producer));
      } finally {
        await nc.close();
      }
    },
    async replay(s, consumer) {
      // The same events again under new message ids, so the broker's de-duplication lets them through.
      const nc = await connect({ servers: url });
      try {
        const js = jetstream(nc);
        const rows = await s.producerSql<{ envelope: { id: string; type: string } }>(
          'select envelope from souk_outbox order by position',
        );
        for (const { envelope } of rows)
          await js.publish(envelope.type, JSON.stringify(envelope), { msgID: `${envelope.id}:again` });
      } finally {
        await nc.close();
      }
      return consumer;
    },
  };
}

conformanceSuite(natsTransport(NATS_URL), () => {
  test(
    'nats-server restarts under a steady stream: every event handled once, in order',
    { skip: !existsSync(NATS_SERVER) && `no ${NATS_SERVER}` },
    async (t) => {
      const port = await freePort();
      const storeDir = mkdtempSync(join(tmpdir(), 'souk-nats-'));
      const url = `nats://127.0.0.1:${port}`;
      let server = startNats(port, storeDir);
      try {
        await waitFor(
          async () =>
            await connect({ servers: url })
              .then((c) => c.close().then(() => true))
              .catch(() => false),
          { what: 'private nats-server' },
        );
        const s = await scenarioFor(t, natsTransport(url), 'restart');
        await s.startProducer();
        await s.startConsumer();
        const total = 300;
        // The stream: 30 requests of 10 events, one after another, while the broker goes away and comes back.
        const producing = (async () => {
          for (let i = 0; i < total; i += 10) assert.equal((await s.emit({ from: i, count: 10 })).status, 200);
        })();
        await s.waitForEffects(50);
        await stopNats(server);
        server = startNats(port, storeDir);
        await producing;
        await s.waitForEffects(total, 60_000);
        const effects = await s.effects();
        assert.equal(effects.length, total);
        assert.deepEqual(
          effects.map((e) => e.n),
          Array.from({ length: total }, (_, i) => i),
        );
        // Everything the relay took from the outbox was accepted by the broker in the end.
        await waitFor(
          async () =>
            (await s.producerSql<{ n: number }>('select count(*)::int as n from souk_outbox where published_at is null'))[0]!
              .n === 0,
          { what: 'outbox drained' },
        );
      } finally {
        await stopNats(server);
        rmSync(storeDir, { recursive: true, force: true });
      }
    },
  );
});

test(
  'producer and consumer start while NATS is down; events wait in the outbox and flow once it is up',
  { skip: !existsSync(NATS_SERVER) && `no ${NATS_SERVER}` },
  async () => {
    const port = await freePort();
    const storeDir = mkdtempSync(join(tmpdir(), 'souk-nats-'));
    const url = `nats://127.0.0.1:${port}`;
    let server: ChildProcess | undefined;
    const s = await createScenario(natsTransport(url), 'late');
    try {
      await s.startProducer();
      await s.startConsumer();
      assert.equal((await s.emit({ from: 0, count: 20 })).status, 200, 'the producer takes requests without its broker');
      const waiting = await s.producerSql<{ n: number }>('select count(*)::int as n from souk_outbox where published_at is null');
      assert.equal(waiting[0]!.n, 20);
      server = startNats(port, storeDir);
      await s.waitForEffects(20, 60_000);
      assert.deepEqual(
        (await s.effects()).map((e) => e.n),
        Array.from({ length: 20 }, (_, i) => i),
      );
    } finally {
      await s.close();
      if (server) await stopNats(server);
      rmSync(storeDir, { recursive: true, force: true });
    }
  },
);

test('a relay that republishes after a crash (published, not yet marked) adds nothing: Nats-Msg-Id de-duplication', async () => {
  const s = await createScenario(natsTransport(NATS_URL), 'dedup');
  const nc = await connect({ servers: NATS_URL });
  try {
    const producer = await s.startProducer();
    await s.startConsumer();
    assert.equal((await s.emit({ from: 0, count: 10 })).status, 200);
    await s.waitForEffects(10);
    // As if the relay died between the broker's PubAck and marking the rows.
    await s.producerSql('update souk_outbox set published_at = null');
    await producer.ctx.events.flush();
    assert.equal(
      (await s.producerSql<{ n: number }>('select count(*)::int as n from souk_outbox where published_at is null'))[0]!.n,
      0,
    );
    const stream = await (await jetstreamManager(nc)).streams.info(streamName(s.producer));
    assert.equal(stream.state.messages, 10, 'the broker kept one copy of each');
    assert.equal((await s.effects()).length, 10);
  } finally {
    await nc.close();
    await s.close();
  }
});

test('a message that is not a CloudEvent is parked as a dead letter with its text, and the stream moves on', async () => {
  const s = await createScenario(natsTransport(NATS_URL), 'garbage');
  const nc = await connect({ servers: NATS_URL });
  try {
    await s.startProducer();
    const consumer = await s.startConsumer();
    assert.equal((await s.emit({ from: 0, count: 1 })).status, 200);
    await s.waitForEffects(1); // the stream exists now
    await jetstream(nc).publish(`souk.${s.producer}.Ticked`, 'this is not JSON');
    assert.equal((await s.emit({ from: 1, count: 2 })).status, 200);
    await s.waitForEffects(3);
    const letters = await consumer.ctx.events.deadLetters.list();
    assert.equal(letters.length, 1);
    assert.equal(letters[0]!.type, 'souk.undeliverable');
    assert.match(letters[0]!.error, /not a CloudEvent/);
    assert.equal((await consumer.ctx.events.deadLetters.get(letters[0]!.deadLetterId))!.event!.data, 'this is not JSON');
  } finally {
    await nc.close();
    await s.close();
  }
});

function startNats(port: number, storeDir: string): ChildProcess {
  return spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: 'ignore' });
}

async function stopNats(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  await exited;
}
