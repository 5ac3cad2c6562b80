// The outbox relay. Each instance of a producing service runs one; they take
// turns under an advisory lock. A run
//  1. sequences: gives committed, unsequenced outbox rows the next feed
//     positions, in commit order (a row committed later always gets a higher
//     position than every row a reader may already have seen), then wakes the
//     held feed polls;
//  2. with a broker, publishes sequenced rows in position order and marks them.
// A crash anywhere leaves rows unsequenced or unpublished; the next run, in
// this or another instance, picks them up. Nothing committed is lost.

import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { CloudEvent } from './envelope.ts';
import { FEED_CHANNEL, nextNotification, OUTBOX_CHANNEL, type Notifier } from './notifier.ts';
import { failurePause } from '../backoff.ts';
import { pause } from './pause.ts';
import type { EventMetrics } from './event-metrics.ts';

/** Sends sequenced events to a broker, in order; rejects at the first one not accepted. */
export type Publisher = (events: readonly CloudEvent[]) => Promise<void>;

export interface RelayOptions {
  db: Kysely<any>;
  notifier: Notifier;
  log: Logger;
  metrics: EventMetrics;
  publisher?: Publisher;
  /** Runs even without a notification this often (a missed one, a connection blip). */
  pollIntervalMs: number;
  batchSize?: number;
}

export interface Relay {
  /** One run now (tests, and the loop). Returns how many rows it sequenced and published. */
  runOnce(): Promise<{ sequenced: number; published: number }>;
  stop(): Promise<void>;
}

// Any constant works: each service has its own database.
export const RELAY_LOCK = 0x50_55_4b_01;

export function startRelay(options: RelayOptions): Relay {
  const { db, log, metrics } = options;
  const batchSize = options.batchSize ?? 500;
  const stopping = new AbortController();
  let pending = true;
  const offOutbox = options.notifier.on(OUTBOX_CHANNEL, () => void (pending = true));

  async function sequence(): Promise<number> {
    return db.transaction().execute(async (trx) => {
      // Waits for a run in another instance to finish, then sees what it committed.
      await sql`select pg_advisory_xact_lock(${RELAY_LOCK})`.execute(trx);
      const { rows } = await sql<{ position: number; type: string; age: number }>`
        with pending as (
          select seq from souk_outbox where position is null order by seq limit ${batchSize}
        ), numbered as (
          select seq, (select coalesce(max(position), 0) from souk_outbox) + row_number() over (order by seq) as position
          from pending
        )
        update souk_outbox o set position = numbered.position, sequenced_at = clock_timestamp()
        from numbered where o.seq = numbered.seq
        returning o.position, o.type, extract(epoch from clock_timestamp() - o.created_at)::float8 as age`.execute(trx);
      if (rows.length > 0) {
        await sql`select pg_notify(${FEED_CHANNEL}, '')`.execute(trx);
        // Without a broker, sequenced is delivered: consumers read the feed from here.
        if (!options.publisher) for (const r of rows) metrics.publishDuration.observe({ type: r.type }, r.age);
      }
      return rows.length;
    });
  }

  async function publish(publisher: Publisher): Promise<number> {
    return db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${RELAY_LOCK})`.execute(trx);
      const { rows } = await sql<{ position: number; envelope: CloudEvent; created_at: Date }>`
        select position, envelope, created_at from souk_outbox
        where published_at is null and position is not null
        order by position limit ${batchSize}`.execute(trx);
      if (rows.length === 0) return 0;
      // A crash after the broker accepted but before this commit republishes
      // the same ids; the broker's de-duplication (Nats-Msg-Id) drops them.
      await publisher(rows.map((r) => r.envelope));
      await sql`update souk_outbox set published_at = clock_timestamp() where position <= ${rows.at(-1)!.position} and published_at is null`.execute(
        trx,
      );
      const now = Date.now();
      for (const r of rows) metrics.publishDuration.observe({ type: r.envelope.type }, (now - r.created_at.getTime()) / 1000);
      return rows.length;
    });
  }

  async function runOnce() {
    pending = false;
    let sequenced = 0;
    let published = 0;
    for (let n = batchSize; n === batchSize;) sequenced += n = await sequence();
    if (options.publisher) for (let n = batchSize; n === batchSize;) published += n = await publish(options.publisher);
    return { sequenced, published };
  }

  const loop = (async () => {
    let failures = 0;
    while (!stopping.signal.aborted) {
      if (!pending) await nextNotification(options.notifier, OUTBOX_CHANNEL, options.pollIntervalMs, stopping.signal);
      if (stopping.signal.aborted) break;
      try {
        await runOnce();
        failures = 0;
      } catch (err) {
        pending = true;
        failures++;
        // Broker or database away: say so once, then keep trying without spinning.
        if (failures === 1) log.warn({ err }, 'outbox relay failed; retrying');
        await pause(failurePause(failures), stopping.signal);
      }
    }
  })();

  return {
    runOnce,
    async stop() {
      stopping.abort();
      offOutbox();
      await loop;
    },
  };
}
