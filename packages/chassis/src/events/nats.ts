// The NATS JetStream transport: a stream per producing service
// (`SOUK_<PRODUCER>`, subjects `souk.<producer>.>`), one durable pull consumer
// per consuming service and producer, shared by all its instances (competing
// consumers). `Nats-Msg-Id` = the event id, so a relay that republishes after
// a crash adds nothing. The message is acked only after the inbox commit.
// max_ack_pending 1 keeps each producer's events in order across the
// competing instances: the next one is delivered once the previous is acked.

import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { parseEnvelope, type CloudEvent } from './envelope.ts';
import type { EventMetrics } from './event-metrics.ts';
import type { Handling } from './handling.ts';
import type { Publisher } from './relay.ts';

export const DUPLICATE_WINDOW_MS = 2 * 60_000;

export interface NatsTransport {
  readonly connection: NatsConnection;
  readonly publisher: Publisher;
  ensureStream(producer: string): Promise<void>;
  consume(options: ConsumeOptions): Promise<{ stop(): Promise<void>; restart(): void }>;
  /** Deletes and recreates the durable consumer: the broker delivers the producer's stream from its first message again (replay). */
  rewindConsumer(options: { durable: string; producer: string; ackWaitMs: number }): Promise<void>;
  close(): Promise<void>;
}

export interface ConsumeOptions {
  durable: string;
  producer: string;
  handling: Handling;
  metrics: EventMetrics;
  log: Logger;
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
  });
  let jsm: JetStreamManager;
  try {
    // Checks the account has JetStream; a connection that cannot serve us must not stay open behind our back.
    jsm = await jetstreamManager(connection);
  } catch (err) {
    await connection.close().catch(() => undefined);
    throw err;
  }
  void (async () => {
    for await (const s of connection.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect') options.log.info({ nats: s.type }, `NATS ${s.type}`);
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

  /** Creates the durable consumer unless it exists (the same config from every instance, so a race is harmless). */
  async function ensureConsumer(durable: string, producer: string, ackWaitMs: number): Promise<void> {
    const stream = streamName(producer);
    await jsm.consumers
      .add(stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: `souk.${producer}.>`,
        max_ack_pending: 1,
        ack_wait: nanos(ackWaitMs),
      })
      .catch(async (err: unknown) => {
        await jsm.consumers.info(stream, durable).catch(() => {
          throw err;
        });
      });
  }

  const publisher: Publisher = async (events) => {
    for (const event of events) {
      await js.publish(event.type, JSON.stringify(event), { msgID: event.id });
    }
  };

  return {
    connection,
    publisher,
    ensureStream,
    async consume({ durable, producer, handling, metrics, log, ackWaitMs }) {
      await ensureStream(producer);
      const stream = streamName(producer);
      await ensureConsumer(durable, producer, ackWaitMs);
      const consumer = await js.consumers.get(stream, durable);
      let stopped = false;
      let messages: ConsumerMessages | undefined;
      const lagTimer = setInterval(() => {
        consumer.info().then(
          (i) => metrics.consumerLag.set({ producer }, i.num_pending + i.num_ack_pending),
          () => undefined,
        );
      }, 2_000);
      lagTimer.unref();

      const loop = (async () => {
        while (!stopped) {
          try {
            messages = await consumer.consume({ max_messages: 8 });
            for await (const m of messages) {
              const event = parseEnvelope(safeJson(m.data));
              if (!event) {
                // Parked with its raw text before the broker forgets it: nothing accepted is dropped unseen.
                await handling
                  .parkUndeliverable(undeliverable(stream, m.seq, m.data), 'not a CloudEvent 1.0 in structured JSON')
                  .then(
                    () => m.term(),
                    () => m.nak(1_000),
                  ); // no reason text: NATS 2.9 does not parse '+TERM <reason>'
                continue;
              }
              // A slow handler says it is still working, so the message is not handed to another instance meanwhile.
              const working = setInterval(
                () => {
                  try {
                    m.working();
                  } catch {
                    // The connection closed under us: the message comes back after ack_wait anyway.
                  }
                },
                Math.max(250, ackWaitMs / 3),
              );
              const outcome = await handling
                .deliver(event)
                .finally(() => clearInterval(working))
                .catch((err: unknown) => {
                  // The database is away: nothing was recorded, so try this message again soon.
                  log.warn({ err, event_id: event.id }, 'could not handle an event; redelivering');
                  return { kind: 'retry' as const, delayMs: 1_000, error: String(err) };
                });
              // Free with every message: how many are still waiting behind it.
              metrics.consumerLag.set({ producer }, m.info.pending);
              if (outcome.kind === 'retry') m.nak(outcome.delayMs);
              else await m.ackAck().catch(() => undefined); // lost ack: redelivered, then skipped by the inbox
            }
          } catch (err) {
            if (stopped) break;
            log.warn({ err, stream }, 'JetStream consumer failed; resubscribing');
            await new Promise((r) => setTimeout(r, 500));
            // It may have been deleted (a replay in another instance between its delete and create).
            await ensureConsumer(durable, producer, ackWaitMs).catch(() => undefined);
          }
        }
      })();

      return {
        async stop() {
          stopped = true;
          clearInterval(lagTimer);
          await messages?.close().catch(() => undefined);
          await loop;
        },
        restart() {
          // Ends the current pull subscription; the loop subscribes again, to the recreated consumer.
          void messages?.close().catch(() => undefined);
        },
      };
    },
    async rewindConsumer({ durable, producer, ackWaitMs }) {
      await ensureStream(producer);
      await jsm.consumers.delete(streamName(producer), durable).catch((err: unknown) => {
        if (!/consumer not found/i.test(String((err as Error)?.message))) throw err;
      });
      await ensureConsumer(durable, producer, ackWaitMs);
    },
    async close() {
      await connection.drain().catch(() => connection.close());
    },
  };
}

function undeliverable(stream: string, seq: number, data: Uint8Array): CloudEvent {
  return {
    specversion: '1.0',
    id: `${stream}:${seq}`,
    source: `urn:souk:nats:${stream}`,
    type: 'souk.undeliverable',
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: new TextDecoder().decode(data),
  };
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}

export type { CloudEvent };
