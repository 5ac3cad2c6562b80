// The NATS JetStream transport: a stream per producing service
// (`SOUK_<PRODUCER>`, subjects `souk.<producer>.>`), one durable pull consumer
// per consuming service and producer, shared by all its instances, one of
// which pulls at a time (nats-consumer.ts: batches in flight, handled in
// stream order, acked after their commit). `Nats-Msg-Id` = the event id, so a
// relay that republishes after a crash adds nothing.

import { connect, headers, nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  PubHeaders,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { CloudEvent } from './envelope.ts';
import type { EventMetrics } from './event-metrics.ts';
import type { Handling } from './handling.ts';
import { MAX_ACK_PENDING, startNatsConsumer, type NatsConsumer } from './nats-consumer.ts';
import { durableName, nextGeneration } from './nats-lease.ts';
import type { Publisher } from './relay.ts';

export const DUPLICATE_WINDOW_MS = 2 * 60_000;

export interface NatsTransport {
  readonly connection: NatsConnection;
  readonly publisher: Publisher;
  ensureStream(producer: string): Promise<void>;
  consume(options: ConsumeOptions): Promise<NatsConsumer>;
  /**
   * A replay: the broker delivers the producer's stream from its first message again, through a
   * new durable consumer (the next generation, counted in the service's database); the old one goes.
   */
  rewindConsumer(options: { db: Kysely<any>; durable: string; producer: string; ackWaitMs: number }): Promise<void>;
  close(): Promise<void>;
}

export interface ConsumeOptions {
  /** The consuming service: the durable consumer's name. */
  durable: string;
  producer: string;
  /** The event types the service handles from this producer. */
  types: readonly string[];
  /** This instance, as the holder of the lease on pulling the stream. */
  owner: string;
  db: Kysely<any>;
  handling: Handling;
  metrics: EventMetrics;
  log: Logger;
  leaseMs: number;
  ackWaitMs: number;
}

export function streamName(producer: string): string {
  return `SOUK_${producer.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

export async function connectNats(options: { url: string; name: string; log: Logger }): Promise<NatsTransport> {
  const connection = await connect({
    servers: options.url.split(','),
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    // Each request (a relay's publish: one per event) otherwise builds two Error objects up front, with
    // their stacks, in case it fails: 7 % of the producer's CPU at 1,000 events/s (profiled). A failure
    // still says what failed; it loses the caller's async stack.
    noAsyncTraces: true,
  });
  let jsm: JetStreamManager;
  try {
    // Checks the account has JetStream; a connection that cannot serve us must not stay open behind our back.
    jsm = await jetstreamManager(connection);
  } catch (err) {
    await connection.close().catch(() => undefined);
    throw err;
  }
  // Pull requests do not survive a broker restart: consumers ask again on reconnection.
  const reconnected = new Set<() => void>();
  void (async () => {
    for await (const s of connection.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect') options.log.info({ nats: s.type }, `NATS ${s.type}`);
      if (s.type === 'reconnect') for (const fn of reconnected) fn();
    }
  })();
  const js: JetStreamClient = jetstream(connection);

  async function ensureStream(producer: string) {
    const name = streamName(producer);
    try {
      await jsm.streams.info(name);
    } catch {
      // Created by whichever of producer and consumer starts first; same config, so a race is harmless.
      await jsm.streams
        .add({
          name,
          subjects: [`souk.${producer}.>`],
          storage: StorageType.File,
          retention: RetentionPolicy.Limits,
          duplicate_window: nanos(DUPLICATE_WINDOW_MS),
        })
        .catch(async (err: unknown) => {
          await jsm.streams.info(name).catch(() => {
            throw err;
          });
        });
    }
  }

  /**
   * Creates the durable consumer unless it exists (the same config from every instance, so a race
   * is harmless); one made by an earlier version (one message in flight) gets today's limits.
   */
  async function ensureConsumer(durable: string, producer: string, ackWaitMs: number): Promise<void> {
    const stream = streamName(producer);
    const limits = { max_ack_pending: MAX_ACK_PENDING, ack_wait: nanos(ackWaitMs) };
    await jsm.consumers
      .add(stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: `souk.${producer}.>`,
        ...limits,
      })
      .catch(async (err: unknown) => {
        const { config } = await jsm.consumers.info(stream, durable).catch(() => {
          throw err;
        });
        if (config.max_ack_pending !== limits.max_ack_pending || config.ack_wait !== limits.ack_wait)
          await jsm.consumers.update(stream, durable, limits);
      });
  }

  /**
   * A relay batch in one go, with one acknowledgement: every message but the last is sent without a
   * reply subject (the broker stores it and answers nothing), the last as a request, awaited. Each
   * message expects the one before it as the stream's last (Nats-Expected-Last-Msg-Id), so if one is
   * not stored, none after it is either: the last one accepted (or found stored already, a duplicate)
   * means the whole batch is in the stream, in the outbox's order. (What is in the stream always
   * follows every row before it: a batch's first message goes out only once every earlier row was
   * accepted.) Otherwise the batch goes again one message at a time, each awaited, without
   * expectations (as on a broker that lost the chain, another publisher having written between; the
   * copies of those stored already are dropped: Nats-Msg-Id); that rejects at the first not
   * accepted, and the relay marks nothing of a batch that rejects.
   */
  const publisher: Publisher = async (events) => {
    const last = events.length - 1;
    if (last < 0) return;
    try {
      for (let i = 0; i < last; i++) {
        const h = headers();
        h.set(PubHeaders.MsgIdHdr, events[i]!.id);
        if (i > 0) h.set(PubHeaders.ExpectedLastMsgIdHdr, events[i - 1]!.id);
        connection.publish(events[i]!.type, JSON.stringify(events[i]), { headers: h });
      }
      await js.publish(events[last]!.type, JSON.stringify(events[last]), {
        msgID: events[last]!.id,
        ...(last > 0 ? { expect: { lastMsgID: events[last - 1]!.id } } : {}),
      });
      return;
    } catch {
      // Not all stored (or not known to be): one at a time below says which.
    }
    for (const event of events) await js.publish(event.type, JSON.stringify(event), { msgID: event.id });
  };

  return {
    connection,
    publisher,
    ensureStream,
    async consume(options) {
      await ensureStream(options.producer);
      return startNatsConsumer({
        connection,
        jsm,
        stream: streamName(options.producer),
        producer: options.producer,
        service: options.durable,
        owner: options.owner,
        types: new Set(options.types),
        db: options.db,
        handling: options.handling,
        metrics: options.metrics,
        log: options.log,
        leaseMs: options.leaseMs,
        ackWaitMs: options.ackWaitMs,
        ensureConsumer: (durable) => ensureConsumer(durable, options.producer, options.ackWaitMs),
        onReconnect(fn) {
          reconnected.add(fn);
          return () => reconnected.delete(fn);
        },
      });
    },
    async rewindConsumer({ db, durable, producer, ackWaitMs }) {
      await ensureStream(producer);
      const { previous, next } = await nextGeneration(db, producer);
      await ensureConsumer(durableName(durable, next), producer, ackWaitMs);
      await jsm.consumers.delete(streamName(producer), durableName(durable, previous)).catch((err: unknown) => {
        if (!/consumer not found/i.test(String((err as Error)?.message))) throw err;
      });
    },
    async close() {
      await connection.drain().catch(() => connection.close());
    },
  };
}

export type { CloudEvent };
