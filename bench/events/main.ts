// Event benchmark: publish→handled latency (p50/p99 at a steady rate) and
// throughput (a burst, until all are handled) through souk's two transports,
// beside raw JetStream publish/consume measured in the same run on the same
// machine. Producer and consumer are separate processes. Run with
// `npm run bench:events` (needs PostgreSQL on 127.0.0.1:5432 or
// SOUK_TEST_DATABASE_URL, and NATS on 127.0.0.1:4222 or BENCH_NATS_URL).

import { spawn, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { streamName } from '@souk/chassis';
import { createTestDatabase, freePort, waitFor } from '@souk/chassis/testing';
import { positive } from '../settings.ts';

const SERVICE_ENTRY = fileURLToPath(new URL('./bench-services.ts', import.meta.url));
const NATS_URL = process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
const RATE = positive('BENCH_RATE', 200); // events/s for the latency run
const LATENCY_S = positive('BENCH_LATENCY_S', 5);
const BURST = positive('BENCH_BURST', 5000); // events for the throughput run
const BATCH = 50; // events per producer transaction in the burst

const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Row {
  name: string;
  p50: number;
  p99: number;
  throughput: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Raw JetStream: the broker alone, publishing each message and awaiting its ack, as the relay does. */
async function rawJetStream(): Promise<Row> {
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const stream = `BENCH_RAW_${process.pid}`;
  await jsm.streams.add({ name: stream, subjects: [`bench.raw.${process.pid}`] });
  await jsm.consumers.add(stream, { durable_name: 'raw', ack_policy: AckPolicy.Explicit, max_ack_pending: 1 });
  const consumer = await js.consumers.get(stream, 'raw');
  const latencies: number[] = [];
  let received = 0;
  let target = 0;
  let done: () => void = () => {};
  const messages = await consumer.consume({ max_messages: 8 });
  const consuming = (async () => {
    for await (const m of messages) {
      latencies.push(Date.now() - m.json<{ sent: number }>().sent);
      await m.ackAck();
      if (++received >= target) done();
    }
  })();
  const publish = (n: number) =>
    js.publish(`bench.raw.${process.pid}`, JSON.stringify({ n, sent: Date.now(), pad: 'x'.repeat(200) }), {
      msgID: `${process.pid}-${n}`,
    });

  // Steady rate: latency.
  target = Math.round(RATE * LATENCY_S);
  let allIn = new Promise<void>((r) => (done = r));
  for (let n = 0; n < target; n++) {
    await publish(n);
    await sleep(1000 / RATE);
  }
  await allIn;
  const steady = [...latencies].sort((a, b) => a - b);
  // Burst: throughput end to end.
  latencies.length = 0;
  received = 0;
  target = BURST;
  allIn = new Promise<void>((r) => (done = r));
  const start = performance.now();
  for (let n = 0; n < BURST; n++) await publish(1_000_000 + n);
  await allIn;
  const seconds = (performance.now() - start) / 1000;
  await messages.close();
  await consuming;
  await jsm.streams.delete(stream);
  await nc.close();
  return {
    name: 'raw JetStream (ack each, max_ack_pending 1)',
    p50: percentile(steady, 50),
    p99: percentile(steady, 99),
    throughput: BURST / seconds,
  };
}

async function soukTransport(transport: 'feed' | 'nats'): Promise<Row> {
  const producer = `bench-${transport}-${process.pid}`;
  const producerDb = await createTestDatabase('bench_evp');
  const consumerDb = await createTestDatabase('bench_evc');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const common = {
    ...process.env,
    LOG_LEVEL: 'warn',
    BENCH_PRODUCER: producer,
    STATIC_SERVICES: `${producer}=${url}`,
    ...(transport === 'nats' ? { NATS_URL } : { NATS_URL: '' }),
  };
  const children: ChildProcess[] = [];
  const start = (role: string, env: Record<string, string>) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SERVICE_ENTRY], {
      env: { ...common, ...env, BENCH_ROLE: role },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
  };
  const pool = new pg.Pool({ connectionString: consumerDb.url, max: 1 });
  try {
    start('producer', { DATABASE_URL: producerDb.url, PORT: String(port) });
    start('consumer', { DATABASE_URL: consumerDb.url });
    await waitFor(async () => (await fetch(`${url}/health/ready`).catch(() => undefined))?.status === 200, {
      timeoutMs: 60_000,
      what: 'producer',
    });
    const handled = async () =>
      (await pool.query<{ n: number }>('select count(*)::int as n from handled').catch(() => ({ rows: [{ n: 0 }] }))).rows[0]!.n;
    const emit = async (from: number, count: number) => {
      const res = await fetch(`${url}/emit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from, count }),
      });
      if (!res.ok) throw new Error(`emit failed: ${res.status} ${await res.text()}`);
    };
    // Warm-up: the consumer is subscribed and caught up.
    await emit(-10, 10);
    await waitFor(async () => (await handled()) >= 10, { timeoutMs: 60_000, what: 'warm-up' });

    const steadyCount = Math.round(RATE * LATENCY_S);
    for (let n = 0; n < steadyCount; n++) {
      await emit(n, 1);
      await sleep(1000 / RATE);
    }
    await waitFor(async () => (await handled()) >= 10 + steadyCount, { timeoutMs: 120_000, what: 'steady run handled' });
    const steady = (
      await pool.query<{ latency_ms: number }>('select latency_ms from handled where n >= 0 order by latency_ms')
    ).rows.map((r) => r.latency_ms);

    const burstStart = performance.now();
    const base = 1_000_000;
    for (let n = 0; n < BURST; n += BATCH) await emit(base + n, Math.min(BATCH, BURST - n));
    await waitFor(async () => (await handled()) >= 10 + steadyCount + BURST, {
      timeoutMs: 300_000,
      intervalMs: 20,
      what: 'burst handled',
    });
    const seconds = (performance.now() - burstStart) / 1000;
    return {
      name: `souk ${transport === 'feed' ? 'embedded feed' : 'NATS JetStream'} (outbox → handler, inbox)`,
      p50: percentile(steady, 50),
      p99: percentile(steady, 99),
      throughput: BURST / seconds,
    };
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : Promise.resolve())));
    await pool.end();
    if (transport === 'nats') {
      const nc = await connect({ servers: NATS_URL });
      await (await jetstreamManager(nc)).streams.delete(streamName(producer)).catch(() => undefined);
      await nc.close();
    }
    await Promise.allSettled([producerDb.drop(), consumerDb.drop()]);
  }
}

log(
  `bench/events on ${cpus().length} cores (load ${loadavg()[0]!.toFixed(2)}): ${RATE} events/s for ${LATENCY_S} s (latency), then a burst of ${BURST} in transactions of ${BATCH} (throughput)`,
);
const rows: Row[] = [];
for (const run of [rawJetStream, () => soukTransport('feed'), () => soukTransport('nats')]) {
  const row = await run();
  rows.push(row);
  log(
    `  ${row.name.padEnd(50)} p50 ${row.p50.toFixed(1).padStart(6)} ms  p99 ${row.p99.toFixed(1).padStart(6)} ms  ${row.throughput.toFixed(0).padStart(6)} events/s`,
  );
}
const raw = rows[0]!;
log('');
log('throughput relative to raw JetStream in the same run:');
for (const row of rows.slice(1)) log(`  ${row.name.padEnd(50)} ${(row.throughput / raw.throughput).toFixed(2)}x`);
