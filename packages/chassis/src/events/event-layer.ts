// Assembles the event layer of one service instance: outbox and relay for
// what it publishes, handling and a transport consumer per producer for what
// it subscribes to, the feed endpoint, dead-letter admin routes and metrics.

import type { Tracer } from '@opentelemetry/api';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Static, TObject } from 'typebox';
import type { PreHandler } from '../auth/auth-hooks.ts';
import type { ServiceClient } from '../client/types.ts';
import type { App } from '../server/app.ts';
import type { EventContract } from './contract.ts';
import { createDeadLetters, registerDeadLetterRoutes, type DeadLetters } from './dead-letters.ts';
import { createEventMetrics } from './event-metrics.ts';
import { startFeedConsumer } from './feed-consumer.ts';
import { registerFeedRoute } from './feed-route.ts';
import { createHandling, type EventHandler, type Subscription } from './handling.ts';
import { connectNats, type NatsTransport } from './nats.ts';
import { createNotifier, OUTBOX_CHANNEL, type Notifier } from './notifier.ts';
import { backoffDelay, failurePause, type Backoff } from '../backoff.ts';
import { pause } from './pause.ts';
import type { CloudEvent } from './envelope.ts';
import { createOutbox, type Outbox } from './outbox.ts';
import { startRelay, type Relay } from './relay.ts';
import { rewind, type ReplayOptions, type ReplayResult } from './replay.ts';
import { registerStatusRoute } from './status-route.ts';
import { readableBound } from '../db/commit-order.ts';

export interface EventSettings {
  NATS_URL?: string | undefined;
  EVENTS_MAX_ATTEMPTS: number;
  EVENTS_RETRY_BASE_MS: number;
  EVENTS_RETRY_CAP_MS: number;
  EVENTS_FEED_WAIT_MS: number;
  EVENTS_LEASE_MS: number;
  EVENTS_POLL_INTERVAL_MS: number;
  EVENTS_ACK_WAIT_MS: number;
  EVENTS_HANDLER_TIMEOUT_MS: number;
}

/** The event API a service sees as `ctx.events`; `DB`: the service's own tables, in the transactions handlers get. */
export interface Events<DB = object> {
  /** `nats` when NATS_URL is set, else the embedded feed. */
  readonly transport: 'feed' | 'nats';
  /** Writes an event to the outbox inside `trx`, the transaction of the state change it announces. */
  publish: Outbox['publish'];
  /** Writes several events to the outbox inside `trx` in one statement, in the order given (as `publish` for each in turn). */
  publishAll: Outbox['publishAll'];
  /** The outbox write of several events as a statement to make part of the state change's own (a CTE), written only when `when` has a row. */
  publishing: Outbox['publishing'];
  /** Handles every `contract` event from its producer (call in setup). */
  subscribe<S extends TObject>(contract: EventContract<S>, handler: EventHandler<Static<S>, DB>): void;
  readonly deadLetters: DeadLetters;
  /** With a broker, runs the relay once now, in this instance (tests and tools); the feed has no relay (events are in it at commit). */
  flush(): Promise<void>;
  /**
   * Handles every event of the given producers (default: all it consumes) again from the start of
   * their streams, after `reset` emptied what the handlers built: rebuilding a read model. Waits for
   * handlers in flight; returns once the rewind committed (the events then flow again on their own).
   */
  replay(options?: ReplayOptions<DB>): Promise<ReplayResult>;
}

export interface EventLayerDeps {
  service: string;
  instanceId: string;
  db: Kysely<any>;
  databaseUrl: string;
  app: App;
  log: Logger;
  tracer: Tracer;
  metrics: Registry;
  settings: EventSettings;
  publishes: readonly EventContract[];
  schemaIds: ReadonlyMap<string, number>;
  client(service: string): ServiceClient;
  admin: PreHandler;
  /** Who may read this service's feed: a service token with `events:read:<service>`. */
  feedReader: PreHandler;
  /** The error to fail an event's handling with on purpose (the faults setting), or undefined. */
  fault?: (type: string) => Error | undefined;
}

export interface EventLayer {
  events: Events<any>;
  /** After the server listens: relay and consumers begin. */
  start(): Promise<void>;
  /** Held feed polls answer now (the server is about to drain). */
  abortPolls(): void;
  stop(): Promise<void>;
}

export function createEventLayer(deps: EventLayerDeps): EventLayer {
  const { db, log, settings } = deps;
  const transport = settings.NATS_URL ? 'nats' : 'feed';
  const subscriptions = new Map<string, Subscription>();
  // LISTEN wakes the held feed polls and the broker relay: only a producer needs the connection.
  const notifier: Notifier | undefined =
    deps.publishes.length > 0
      ? createNotifier({ url: deps.databaseUrl, applicationName: deps.instanceId, log, channels: [OUTBOX_CHANNEL] })
      : undefined;
  const metrics = createEventMetrics(deps.metrics, {
    async outboxBacklog() {
      // Feed: committed but not readable yet (an older transaction still open); broker: not accepted by it yet.
      const pending =
        transport === 'nats'
          ? sql`published_at is null`
          : sql`commit_key >= ${readableBound('souk_outbox', 'commit_key', { precise: true })}`;
      const { rows } = await sql<{ n: number }>`select count(*) as n from souk_outbox where ${pending}`.execute(db);
      return rows[0]?.n ?? 0;
    },
  });
  const handling = createHandling({
    db,
    log,
    tracer: deps.tracer,
    metrics,
    subscriptions,
    maxAttempts: settings.EVENTS_MAX_ATTEMPTS,
    retryDelayMs: (attempt) => backoffDelay(redeliveryBackoff(settings), attempt),
    handlerTimeoutMs: settings.EVENTS_HANDLER_TIMEOUT_MS,
    ...(deps.fault ? { fault: deps.fault } : {}),
  });
  const deadLetters = createDeadLetters(db, handling);
  const outbox = createOutbox({ service: deps.service, publishes: deps.publishes, schemaIds: deps.schemaIds });
  const closing = new AbortController();
  let started = false;
  let nats: NatsTransport | undefined;
  let relay: Relay | undefined;
  /** One per producer; wake() makes it read from its (rewound) position at once. */
  const consumers: { producer: string; stop(): Promise<void>; wake(): void }[] = [];

  if (notifier) registerFeedRoute(deps.app, { db, notifier, metrics, closing: closing.signal, reader: deps.feedReader });
  registerDeadLetterRoutes(deps.app, deadLetters, deps.admin);
  registerStatusRoute(deps.app, {
    db,
    transport,
    publishes: deps.publishes,
    schemaIds: deps.schemaIds,
    subscriptions,
    admin: deps.admin,
  });

  const events: Events<any> = {
    transport,
    publish: (trx, contract, data, options) => outbox.publish(trx, contract, data, options),
    publishAll: (trx, events) => outbox.publishAll(trx, events),
    publishing: (db, events, when) => outbox.publishing(db, events, when),
    subscribe(contract, handler) {
      if (started) throw new Error(`subscribe(${contract.type}) after start: subscribe in setup`);
      if (subscriptions.has(contract.type)) throw new Error(`${deps.service} already handles ${contract.type}`);
      subscriptions.set(contract.type, { contract, handler } as unknown as Subscription);
    },
    deadLetters,
    async flush() {
      if (!notifier) throw new Error(`${deps.service} publishes no events: nothing to flush`);
      if (transport === 'nats') await (relay ?? startRelayNow(notifier)).runOnce();
    },
    async replay(options = {}) {
      const consumed = [...new Set([...subscriptions.values()].map((s) => s.contract.source))];
      const producers = options.producers ? [...new Set(options.producers)] : consumed;
      const unknown = producers.filter((p) => !consumed.includes(p));
      if (unknown.length > 0) throw new Error(`${deps.service} consumes no events of ${unknown.join(', ')}`);
      const connection = nats;
      if (transport === 'nats' && !connection) throw new Error('NATS is not connected: cannot rewind the durable consumers now');
      await rewind({
        db,
        transport,
        producers,
        ...(options.reset ? { reset: options.reset } : {}),
        ...(connection
          ? {
              rewindStream: (producer: string) =>
                connection.rewindConsumer({ db, durable: deps.service, producer, ackWaitMs: settings.EVENTS_ACK_WAIT_MS }),
            }
          : {}),
      });
      for (const c of consumers) if (producers.includes(c.producer)) c.wake();
      log.info({ producers }, 'replaying: consumers rewound to the start of their streams');
      return { producers };
    },
  };

  function startRelayNow(notifier: Notifier): Relay {
    relay = startRelay({
      db,
      databaseUrl: deps.databaseUrl,
      applicationName: deps.instanceId,
      notifier,
      log,
      metrics,
      pollIntervalMs: settings.EVENTS_POLL_INTERVAL_MS,
      publisher: publishToNats,
    });
    return relay;
  }

  // The broker may be down when the service starts: the service starts anyway
  // (the outbox keeps what it publishes, consumers begin once it is reachable).
  let natsConnected: Promise<NatsTransport | undefined> | undefined;
  async function connectLoop(): Promise<NatsTransport | undefined> {
    for (let attempt = 1; !closing.signal.aborted; attempt++) {
      try {
        const connection = await connectNats({ url: settings.NATS_URL!, name: deps.instanceId, log });
        if (closing.signal.aborted) {
          await connection.close();
          return undefined;
        }
        return (nats = connection);
      } catch (err) {
        if (attempt === 1)
          log.warn({ err, url: settings.NATS_URL }, 'NATS unreachable; retrying (events wait in the outbox meanwhile)');
        await pause(failurePause(attempt), closing.signal);
      }
    }
    return undefined;
  }
  let streamReady: Promise<void> | undefined;
  async function publishToNats(batch: readonly CloudEvent[]): Promise<void> {
    if (!nats) throw new Error('NATS is not connected yet');
    const connection = nats;
    await (streamReady ??= connection.ensureStream(deps.service).catch((err: unknown) => {
      streamReady = undefined;
      throw err;
    }));
    await connection.publisher(batch);
  }

  /** A NATS consumer that begins once the connection is up. */
  function natsConsumer(producer: string, types: readonly string[]): { producer: string; stop(): Promise<void>; wake(): void } {
    let running: { stop(): Promise<void>; restart(): void } | undefined;
    const starting = (async () => {
      const connection = await natsConnected;
      for (let attempt = 1; connection && !closing.signal.aborted; attempt++) {
        try {
          running = await connection.consume({
            durable: deps.service,
            producer,
            types,
            owner: deps.instanceId,
            db,
            handling,
            metrics,
            log,
            leaseMs: settings.EVENTS_LEASE_MS,
            ackWaitMs: settings.EVENTS_ACK_WAIT_MS,
          });
          return;
        } catch (err) {
          if (attempt === 1) log.warn({ err, producer }, 'could not create the JetStream consumer; retrying');
          await pause(failurePause(attempt), closing.signal);
        }
      }
    })();
    return {
      producer,
      async stop() {
        await starting;
        await running?.stop();
      },
      wake() {
        running?.restart();
      },
    };
  }

  return {
    events,
    async start() {
      started = true;
      if (transport === 'nats' && (deps.publishes.length > 0 || subscriptions.size > 0)) natsConnected = connectLoop();
      if (transport === 'nats' && notifier && !relay) startRelayNow(notifier);
      const byProducer = new Map<string, string[]>();
      for (const sub of subscriptions.values()) {
        byProducer.set(sub.contract.source, [...(byProducer.get(sub.contract.source) ?? []), sub.contract.type]);
      }
      for (const [producer, types] of byProducer) {
        if (transport === 'nats') {
          consumers.push(natsConsumer(producer, types));
        } else {
          const consumer = startFeedConsumer({
            db,
            log,
            owner: deps.instanceId,
            producer,
            types,
            client: deps.client(producer),
            handling,
            metrics,
            leaseMs: settings.EVENTS_LEASE_MS,
            waitMs: settings.EVENTS_FEED_WAIT_MS,
          });
          consumers.push({ producer, stop: () => consumer.stop(), wake: () => consumer.wake() });
        }
      }
      if (byProducer.size > 0) log.info({ transport, producers: [...byProducer.keys()] }, 'consuming events');
    },
    abortPolls() {
      closing.abort();
    },
    async stop() {
      closing.abort();
      await Promise.allSettled(consumers.map((c) => c.stop()));
      await relay?.stop();
      await natsConnected;
      await nats?.close();
      await notifier?.close();
    },
  };
}

/** Redeliveries back off exponentially, the upper half jittered so that consumers retrying together spread out. */
export function redeliveryBackoff(settings: { EVENTS_RETRY_BASE_MS: number; EVENTS_RETRY_CAP_MS: number }): Backoff {
  return { curve: 'equal-jitter', baseMs: settings.EVENTS_RETRY_BASE_MS, capMs: settings.EVENTS_RETRY_CAP_MS };
}
