// Event benchmark through souk's two transports, beside raw JetStream measured
// in the same run on the same machine: commit → handler latency (p50/p99) at a
// steady rate of one event per transaction committed inside the producer
// process; the same rate driven by one producer HTTP request per event (a
// separate row: publish → handler, the request path's CPU included); and the
// throughput of a burst (until all are handled). Each with the CPU ms per event
// of every process taking part (bench/cost.ts): the producer and consumer
// processes, PostgreSQL's backends for their databases, and the local
// nats-server when there is one (shared with anything else using it).
// Producer and consumer are separate processes.
// Run with `npm run bench:events` (needs PostgreSQL on 127.0.0.1:5432 or
// SOUK_TEST_DATABASE_URL, and NATS on 127.0.0.1:4222 or BENCH_NATS_URL);
// `npm run bench` runs it with the others.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Pool } from 'undici';
import { connect } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { eventsReadScope, streamName } from '@souk/chassis';
import { createTestDatabase, createTestIssuer, freePort, startTokenServer, waitFor } from '@souk/chassis/testing';
import {
  BENCH_APPLICATION,
  costBetween,
  costProbe,
  costTable,
  processesNamed,
  type CostProbe,
  type CostReport,
} from '../cost.ts';
import { isMain, log, percentile, runStandalone, type BenchResult } from '../report.ts';
import { positive } from '../settings.ts';
import { offerAtRate } from './offer.ts';

const SERVICE_ENTRY = fileURLToPath(new URL('./bench-services.ts', import.meta.url));
const NATS_URL = process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
const BATCH = 50; // events per producer transaction in the burst

export interface EventsSettings {
  /** events/s for the latency run */
  rate: number;
  latencySeconds: number;
  /** events for the throughput run */
  burst: number;
  /** which runs: raw, feed, nats (BENCH_TRANSPORTS, comma-separated; default all) */
  transports: readonly string[];
  /** the producer requests' client: a pool of kept-alive connections, or fetch() (BENCH_HTTP=fetch) */
  http: 'pool' | 'fetch';
}

const TRANSPORTS = ['raw', 'feed', 'nats'];
function transportsSetting(): string[] {
  const raw = process.env.BENCH_TRANSPORTS;
  if (raw === undefined) return TRANSPORTS;
  const chosen = raw.split(',').map((t) => t.trim());
  const unknown = chosen.filter((t) => !TRANSPORTS.includes(t));
  if (unknown.length > 0 || chosen.length === 0) throw new Error(`BENCH_TRANSPORTS takes ${TRANSPORTS.join(', ')} (got ${raw})`);
  return chosen;
}

export const eventsSettings = (): EventsSettings => ({
  rate: positive('BENCH_RATE', 1000),
  latencySeconds: positive('BENCH_LATENCY_S', 5),
  burst: positive('BENCH_BURST', 5000),
  transports: transportsSetting(),
  http: httpSetting(),
});

function httpSetting(): 'pool' | 'fetch' {
  const raw = process.env.BENCH_HTTP ?? 'pool';
  if (raw !== 'pool' && raw !== 'fetch') throw new Error(`BENCH_HTTP takes pool or fetch (got ${raw})`);
  return raw;
}

export const EVENTS_SMOKE: EventsSettings = { rate: 50, latencySeconds: 1, burst: 200, transports: TRANSPORTS, http: 'pool' };

export { offerAtRate } from './offer.ts';

/** A local nats-server's pids, so that the broker's CPU counts too (it serves anyone else using it meanwhile). */
function natsServers(): Map<number, string> {
  return new Map(processesNamed('nats-server').map((pid) => [pid, 'nats-server (shared)']));
}

/** Latency at the steady rate, and what it cost. */
interface Steady {
  p50: number;
  p99: number;
  /** The rate actually offered (events/s). */
  offered: number;
  /** CPU per event, the bench process included. */
  cost: CostReport;
}

interface Row {
  name: string;
  /** raw: publish → consumed; souk: commit → handler, one event per transaction committed in the producer. */
  p50: number;
  p99: number;
  throughput: number;
  /** CPU of the burst, per event. */
  cost: CostReport;
  /** souk: the commit-driven steady rate (p50/p99 above). */
  steady?: Steady;
  /** souk: the same rate, one producer HTTP request per event; latency from the event's publish to its handler. */
  http?: Steady;
}

/** Raw JetStream: the broker alone, publishing each message and awaiting its ack, as the relay does. */
async function rawJetStream({ rate: RATE, latencySeconds: LATENCY_S, burst: BURST }: EventsSettings): Promise<Row> {
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
  await offerAtRate(RATE, target, publish);
  await allIn;
  const steady = [...latencies].sort((a, b) => a - b);
  // Burst: throughput end to end.
  latencies.length = 0;
  received = 0;
  target = BURST;
  allIn = new Promise<void>((r) => (done = r));
  const probe = await costProbe({
    processes: async () => new Map([[process.pid, 'bench process (publisher and consumer)'], ...natsServers()]),
  });
  const before = await probe.snapshot();
  const start = performance.now();
  for (let n = 0; n < BURST; n++) await publish(1_000_000 + n);
  await allIn;
  const seconds = (performance.now() - start) / 1000;
  const cost = costBetween(before, await probe.snapshot(), BURST);
  await probe.close();
  await messages.close();
  await consuming;
  await jsm.streams.delete(stream);
  await nc.close();
  return {
    name: 'raw JetStream (ack each, max_ack_pending 1)',
    p50: percentile(steady, 50),
    p99: percentile(steady, 99),
    throughput: BURST / seconds,
    cost,
  };
}

async function soukTransport(transport: 'feed' | 'nats', settings: EventsSettings): Promise<Row> {
  const { rate: RATE, latencySeconds: LATENCY_S, burst: BURST } = settings;
  const producer = `bench-${transport}-${process.pid}`;
  const producerDb = await createTestDatabase('bench_evp');
  const consumerDb = await createTestDatabase('bench_evc');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const consumerPort = await freePort();
  // The feed serves only a token with events:read:<producer>: the consumer gets one as in production, from
  // identity's two endpoints (served here by a test issuer), and the producer checks it against its keys.
  const clientId = `svc-${producer}-consumer`;
  const clientSecret = randomBytes(16).toString('hex');
  const secretDir = await mkdtemp(join(tmpdir(), 'souk-bench-events-'));
  await writeFile(join(secretDir, 'client-secret'), clientSecret, { mode: 0o600 });
  const tokens = await startTokenServer(await createTestIssuer(), [
    { clientId, clientSecret, scopes: [eventsReadScope(producer)] },
  ]);
  const common = {
    ...process.env,
    LOG_LEVEL: 'warn',
    BENCH_PRODUCER: producer,
    STATIC_SERVICES: `${producer}=${url};identity=${tokens.url}`,
    SERVICE_CLIENT_ID: clientId,
    SERVICE_CLIENT_SECRET_FILE: join(secretDir, 'client-secret'),
    ...(transport === 'nats' ? { NATS_URL } : { NATS_URL: '' }),
  };
  const children: ChildProcess[] = [];
  const roles = new Map<number, string>();
  const start = (role: string, env: Record<string, string>) => {
    // BENCH_CPU_PROF=<dir>: each service process writes a CPU profile there when it exits.
    const profile = process.env.BENCH_CPU_PROF
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}/${transport}-${role}`]
      : [];
    const child = spawn(process.execPath, [...profile, '--import', 'tsx', SERVICE_ENTRY], {
      env: { ...common, ...env, BENCH_ROLE: role },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    if (child.pid !== undefined) roles.set(child.pid, role);
  };
  // The bench's own connection (polling for progress) does not count as the system's work.
  const pool = new pg.Pool({ connectionString: consumerDb.url, max: 1, application_name: BENCH_APPLICATION });
  let probe: CostProbe | undefined;
  let steadyProbe: CostProbe | undefined;
  let http: Pool | undefined;
  try {
    const databases = new Set([producerDb.url, consumerDb.url].map((u) => decodeURIComponent(new URL(u).pathname.slice(1))));
    probe = await costProbe({
      processes: async () => new Map([...roles, ...(transport === 'nats' ? natsServers() : [])]),
      databaseUrl: consumerDb.url,
      databases,
      backends: true,
    });
    // The steady rate sends a request per event: what the bench spends sending them shows too.
    steadyProbe = await costProbe({
      processes: async () =>
        new Map([...roles, [process.pid, 'bench process (load generator)'], ...(transport === 'nats' ? natsServers() : [])]),
      databaseUrl: consumerDb.url,
      databases,
      backends: true,
    });
    start('producer', { DATABASE_URL: producerDb.url, PORT: String(port) });
    start('consumer', { DATABASE_URL: consumerDb.url, PORT: String(consumerPort) });
    await waitFor(async () => (await fetch(`${url}/health/ready`).catch(() => undefined))?.status === 200, {
      timeoutMs: 60_000,
      what: 'producer',
    });
    // Commit counts are exact only once every backend has reported its own (bench-services.ts says why).
    const settled = async (costs: CostProbe) => {
      await Promise.all(
        [url, `http://127.0.0.1:${consumerPort}`].map(async (base) => {
          const res = await fetch(`${base}/bench/flush-stats`, { method: 'POST' });
          if (!res.ok) throw new Error(`flush-stats failed: ${res.status} ${await res.text()}`);
        }),
      );
      return costs.snapshot();
    };
    const handled = async () =>
      (await pool.query<{ n: number }>('select count(*)::int as n from handled').catch(() => ({ rows: [{ n: 0 }] }))).rows[0]!.n;
    // The load generator shares the machine's cores with what it measures: it sends over a pool of kept-alive
    // connections (undici's Pool, as the chassis' client does), not fetch(), which cost 0.7 ms of CPU per request
    // here. BENCH_HTTP=fetch measures the old way.
    http = new Pool(url, { connections: 64 });
    const client = http;
    const emit = async (from: number, count: number) => {
      const body = JSON.stringify({ from, count });
      if (settings.http === 'fetch') {
        const res = await fetch(`${url}/emit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        if (!res.ok) throw new Error(`emit failed: ${res.status} ${await res.text()}`);
        return;
      }
      const res = await client.request({ method: 'POST', path: '/emit', headers: { 'content-type': 'application/json' }, body });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`emit failed: ${res.statusCode} ${text}`);
    };
    // Warm-up: the consumer is subscribed and caught up.
    await emit(-10, 10);
    await waitFor(async () => (await handled()) >= 10, { timeoutMs: 60_000, what: 'warm-up' });
    const steadyCount = Math.round(RATE * LATENCY_S);
    const steadyCosts = steadyProbe;
    const measureSteady = async (
      what: string,
      run: () => Promise<{ offered: number; latencies: () => Promise<number[]> }>,
    ): Promise<Steady> => {
      const before = await settled(steadyCosts);
      const target = (await handled()) + steadyCount;
      const { offered, latencies } = await run();
      log(`${transport}, ${what}: offered ${offered.toFixed(0)} events/s of the ${RATE}/s asked for`);
      await waitFor(async () => (await handled()) >= target, { timeoutMs: 120_000, what: `${what} handled` });
      const cost = costBetween(before, await settled(steadyCosts), steadyCount);
      const sorted = (await latencies()).sort((x, y) => x - y);
      return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), offered, cost };
    };

    // Commit → handler: the producer commits one event per transaction at the rate, from inside its own
    // process, and says when it sent each COMMIT; the handler recorded when the event reached it.
    const steady = await measureSteady('commit-driven', async () => {
      const res = await client.request({
        method: 'POST',
        path: '/offer',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: 0, count: steadyCount, rate: RATE }),
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`offer failed: ${res.statusCode} ${text}`);
      const { offered, committedAt } = JSON.parse(text) as { offered: number; committedAt: number[] };
      const latencies = async () =>
        (
          await pool.query<{ n: number; arrived_ms: number }>('select n, arrived_ms from handled where n >= 0 and n < $1', [
            steadyCount,
          ])
        ).rows.map((r) => r.arrived_ms - committedAt[r.n]!);
      return { offered, latencies };
    });

    // The same rate through the producer's HTTP API, one request (and transaction) per event: what a service
    // answering a request per event pays. Latency from the event's publish (its `time`) to the handler.
    const HTTP_BASE = 100_000;
    const httpSteady = await measureSteady('HTTP-driven', async () => ({
      offered: await offerAtRate(RATE, steadyCount, (n) => emit(HTTP_BASE + n, 1)),
      latencies: async () =>
        (
          await pool.query<{ latency_ms: number }>('select latency_ms from handled where n >= $1 and n < $2', [
            HTTP_BASE,
            HTTP_BASE + steadyCount,
          ])
        ).rows.map((r) => r.latency_ms),
    }));

    const before = await settled(probe);
    const burstStart = performance.now();
    const base = 1_000_000;
    const target = (await handled()) + BURST;
    for (let n = 0; n < BURST; n += BATCH) await emit(base + n, Math.min(BATCH, BURST - n));
    await waitFor(async () => (await handled()) >= target, {
      timeoutMs: 300_000,
      intervalMs: 20,
      what: 'burst handled',
    });
    const seconds = (performance.now() - burstStart) / 1000;
    const cost = costBetween(before, await settled(probe), BURST);
    return {
      name: `souk ${transport === 'feed' ? 'embedded feed' : 'NATS JetStream'} (outbox → handler, inbox)`,
      p50: steady.p50,
      p99: steady.p99,
      throughput: BURST / seconds,
      cost,
      steady,
      http: httpSteady,
    };
  } finally {
    await probe?.close();
    await steadyProbe?.close();
    await http?.close();
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : Promise.resolve())));
    await pool.end();
    if (transport === 'nats') {
      const nc = await connect({ servers: NATS_URL });
      await (await jetstreamManager(nc)).streams.delete(streamName(producer)).catch(() => undefined);
      await nc.close();
    }
    await Promise.allSettled([producerDb.drop(), consumerDb.drop(), tokens.close(), rm(secretDir, { recursive: true })]);
  }
}

export async function eventsBench(settings: EventsSettings = eventsSettings()): Promise<BenchResult> {
  const started = performance.now();
  const rows: Row[] = [];
  const runs = [
    ['raw', 'raw JetStream', () => rawJetStream(settings)],
    ['feed', 'embedded feed', () => soukTransport('feed', settings)],
    ['nats', 'NATS JetStream', () => soukTransport('nats', settings)],
  ] as const;
  for (const [key, name, run] of runs) {
    if (!settings.transports.includes(key)) continue;
    log(`events: ${name}`);
    rows.push(await run());
  }
  const raw = rows.find((r) => r.name.startsWith('raw'));
  return {
    name: 'events',
    title: 'publish → handled on both transports, beside raw JetStream',
    settings: {
      BENCH_RATE: settings.rate,
      BENCH_LATENCY_S: settings.latencySeconds,
      BENCH_BURST: settings.burst,
      BENCH_HTTP: settings.http,
      batch: BATCH,
    },
    seconds: (performance.now() - started) / 1000,
    tables: [
      {
        title: `transport (latency at ${settings.rate}/s: souk from commit to handler, one event per transaction committed in the producer; throughput of a burst of ${settings.burst})`,
        columns: [
          { name: 'p50', unit: 'ms' },
          { name: 'p99', unit: 'ms' },
          { name: 'offered', unit: 'events/s' },
          { name: 'throughput', unit: 'events/s' },
          { name: 'vs raw', unit: 'x' },
          { name: 'CPU per event', unit: 'ms' },
          { name: 'commits per event', unit: '' },
        ],
        rows: rows.map((r) => ({
          name: r.name,
          values: [
            r.p50,
            r.p99,
            r.steady?.offered ?? null,
            r.throughput,
            raw ? r.throughput / raw.throughput : null,
            r.cost.totalCpuPerOp,
            r === raw ? null : r.cost.commitsPerOp,
          ],
        })),
      },
      {
        title: `HTTP-driven: one producer request (and transaction) per event at ${settings.rate}/s, publish → handler`,
        columns: [
          { name: 'p50', unit: 'ms' },
          { name: 'p99', unit: 'ms' },
          { name: 'offered', unit: 'events/s' },
          { name: 'CPU per event', unit: 'ms' },
          { name: 'commits per event', unit: '' },
        ],
        rows: rows.flatMap((r) =>
          r.http
            ? [
                {
                  name: r.name,
                  values: [r.http.p50, r.http.p99, r.http.offered, r.http.cost.totalCpuPerOp, r.http.cost.commitsPerOp],
                },
              ]
            : [],
        ),
      },
      ...rows.map((r) => costTable(`where the CPU of an event goes: ${r.name}, burst`, r.cost)),
      ...rows.flatMap((r) =>
        r.steady
          ? [
              costTable(
                `where the CPU of an event goes: ${r.name}, commit-driven steady rate (one event per transaction)`,
                r.steady.cost,
              ),
            ]
          : [],
      ),
      ...rows.flatMap((r) =>
        r.http
          ? [costTable(`where the CPU of an event goes: ${r.name}, HTTP-driven steady rate (one request per event)`, r.http.cost)]
          : [],
      ),
    ],
    notes: [
      "souk's latency: from the moment the producer sends the COMMIT of the event's transaction (one event per transaction, committed at the steady rate from inside the producer process) to the moment the consumer's handler starts on it, both read from the machine's wall clock; raw JetStream: from the publish to the consumer",
      "HTTP-driven: the bench sends one producer request per event at the same rate; latency from the event's publish (its time, inside the request's transaction) to the handler; its CPU includes the bench process sending the requests",
      `throughput: the burst until every event is handled; souk's producer commits it in transactions of ${BATCH} (one outbox statement each); raw JetStream publishes each message and awaits its ack`,
      "nats-server is the machine's shared broker: its CPU includes whatever else used it during the burst",
    ],
  };
}

if (isMain(import.meta.url)) await runStandalone(() => eventsBench());
