// Plumbing for the event conformance suite: databases, fixture services in
// this process or as child processes (to kill them), and queries on what the
// producer stored and the consumer did.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { eventsReadScope, startService, type RunningService } from '../../src/index.ts';
import {
  createTestDatabase,
  createTestIssuer,
  freePort,
  startTokenServer,
  waitFor,
  type TestDatabase,
  type TestIssuer,
} from '../../src/testing/index.ts';
import { consumerService, producerService, tickedEvent, type ConsumerHooks } from './fixtures.ts';

const FIXTURE_MAIN = fileURLToPath(new URL('./fixture-main.ts', import.meta.url));

export interface Transport {
  name: 'feed' | 'nats';
  /** Extra environment for every fixture (NATS_URL). */
  env(): Record<string, string>;
  /** Removes what a test left in the broker. */
  cleanup(producer: string): Promise<void>;
  /**
   * Delivers every event of the scenario's stream to the consumer again (a lost ack, a rewound
   * cursor); returns the consumer instance that will see them.
   */
  replay(s: Scenario, consumer: RunningService): Promise<RunningService>;
}

export interface Scenario {
  producer: string;
  consumer: string;
  producerDb: TestDatabase;
  consumerDb: TestDatabase;
  producerPort: number;
  producerUrl: string;
  /** Signs the tokens the producer accepts (its `identity` is a token server of this issuer). */
  issuer: TestIssuer;
  /** A service token that may read the producer's feed (`events:read:<producer>`). */
  feedToken(): Promise<string>;
  env(extra?: Record<string, string>): Record<string, string>;
  startProducer(): Promise<RunningService>;
  startConsumer(hooks?: Partial<ConsumerHooks>): Promise<RunningService>;
  spawnFixture(role: 'producer' | 'consumer', extra?: Record<string, string>): Fixture;
  emit(body: Record<string, unknown>, headers?: Record<string, string>): Promise<Response>;
  effects(): Promise<{ n: number; event_id: string; instance: string; trace_id: string | null }[]>;
  /** Event ids in the producer's delivery order (commit key, the order of the feed and of the broker relay). */
  producedOrder(): Promise<string[]>;
  producerSql<T extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<T[]>;
  consumerSql<T extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<T[]>;
  waitForEffects(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface Fixture {
  child: ChildProcess;
  /** Resolves when a stdout line matches. */
  line(pattern: RegExp): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function createScenario(transport: Transport, label: string): Promise<Scenario> {
  const id = randomBytes(3).toString('hex');
  const producer = `p${label}-${id}`;
  const consumer = `c${label}-${id}`;
  const producerDb = await createTestDatabase(`evp_${label}`);
  const consumerDb = await createTestDatabase(`evc_${label}`);
  const producerPort = await freePort();
  const producerUrl = `http://127.0.0.1:${producerPort}`;
  // The consumer reads the feed with its own client_credentials token, from an identity stand-in that
  // also serves the producer the keys to check it: the path a real service takes.
  const issuer = await createTestIssuer();
  const clientId = `svc-${consumer}`;
  const clientSecret = randomBytes(16).toString('hex');
  const secretDir = await mkdtemp(join(tmpdir(), 'souk-events-'));
  const secretFile = join(secretDir, 'client-secret');
  await writeFile(secretFile, clientSecret, { mode: 0o600 });
  const tokens = await startTokenServer(issuer, [{ clientId, clientSecret, scopes: [eventsReadScope(producer)] }]);
  const pools = [
    new pg.Pool({ connectionString: producerDb.url, max: 2 }),
    new pg.Pool({ connectionString: consumerDb.url, max: 2 }),
  ];
  // Dropping the databases at the end ends whatever is still connected; that is expected, not a failure.
  for (const pool of pools) pool.on('error', () => undefined);
  const running: RunningService[] = [];
  const fixtures: Fixture[] = [];
  const base = (extra: Record<string, string> = {}) => ({
    LOG_LEVEL: process.env.FIXTURE_LOG_LEVEL ?? 'silent',
    STATIC_SERVICES: `${producer}=${producerUrl};identity=${tokens.url}`,
    SERVICE_CLIENT_ID: clientId,
    SERVICE_CLIENT_SECRET_FILE: secretFile,
    EVENTS_MAX_ATTEMPTS: '3',
    EVENTS_RETRY_BASE_MS: '10',
    EVENTS_RETRY_CAP_MS: '50',
    EVENTS_LEASE_MS: '2000',
    BREAKER_HALF_OPEN_AFTER_MS: '200',
    EVENTS_ACK_WAIT_MS: '2000',
    EVENTS_HANDLER_TIMEOUT_MS: '1500',
    EVENTS_FEED_WAIT_MS: '1000',
    SHUTDOWN_TIMEOUT_MS: '2000',
    ...transport.env(),
    ...extra,
  });
  const query = async <T extends pg.QueryResultRow>(pool: pg.Pool, text: string, values?: unknown[]) =>
    (await pool.query<T>(text, values as never[])).rows;

  const scenario: Scenario = {
    producer,
    consumer,
    producerDb,
    consumerDb,
    producerPort,
    producerUrl,
    issuer,
    feedToken: () => issuer.token({ sub: 'svc-reader', clientId: 'svc-reader', roles: [], scopes: [eventsReadScope(producer)] }),
    env: base,
    async startProducer() {
      const svc = await startService(producerService(producer), {
        env: base({ DATABASE_URL: producerDb.url, PORT: String(producerPort) }),
      });
      running.push(svc);
      return svc;
    },
    async startConsumer(hooks = {}) {
      const svc = await startService(consumerService(consumer, tickedEvent(producer), { poisonFails: () => true, ...hooks }), {
        env: base({ DATABASE_URL: consumerDb.url }),
      });
      running.push(svc);
      return svc;
    },
    spawnFixture(role, extra = {}) {
      const env = {
        ...process.env,
        ...base({
          DATABASE_URL: role === 'producer' ? producerDb.url : consumerDb.url,
          ...(role === 'producer' ? { PORT: String(producerPort) } : {}),
          ...extra,
        }),
        FIXTURE_ROLE: role,
        FIXTURE_PRODUCER: producer,
        FIXTURE_CONSUMER: consumer,
      };
      const fixture = spawnFixture(env);
      fixtures.push(fixture);
      return fixture;
    },
    emit: (body, headers = {}) =>
      fetch(`${producerUrl}/emit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      }),
    effects: () => query(pools[1]!, 'select n, event_id, instance, trace_id from effects order by seq'),
    producedOrder: async () =>
      (await query<{ id: string }>(pools[0]!, `select id from souk_outbox where type like '%.Ticked' order by commit_key`)).map(
        (r) => r.id,
      ),
    producerSql: (text, values) => query(pools[0]!, text, values),
    consumerSql: (text, values) => query(pools[1]!, text, values),
    async waitForEffects(count, timeoutMs = 30_000) {
      await waitFor(
        async () => (await query<{ n: number }>(pools[1]!, 'select count(*)::int as n from effects'))[0]!.n >= count,
        {
          timeoutMs,
          what: `${count} effects`,
        },
      );
    },
    async close() {
      await Promise.allSettled(fixtures.map((f) => f.kill('SIGKILL')));
      await Promise.allSettled(running.map((s) => s.stop()));
      await Promise.allSettled(pools.map((p) => p.end()));
      await transport.cleanup(producer).catch(() => undefined);
      await Promise.allSettled([producerDb.drop(), consumerDb.drop(), tokens.close(), rm(secretDir, { recursive: true })]);
    },
  };
  return scenario;
}

function spawnFixture(env: NodeJS.ProcessEnv): Fixture {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE_MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters: { pattern: RegExp; resolve: (l: string) => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const w of [...waiters]) {
      const m = out.split('\n').find((l) => w.pattern.test(l));
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    line(pattern) {
      const m = out.split('\n').find((l) => pattern.test(l));
      if (m) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        void exited.then(() => reject(new Error(`fixture exited before printing ${pattern}: ${err.slice(-2000)}`)));
      });
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Waits until a URL answers /health/ready with 200. */
export async function waitReady(url: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(async () => (await fetch(`${url}/health/ready`).catch(() => undefined))?.status === 200, {
    timeoutMs,
    what: `${url} ready`,
  });
}
