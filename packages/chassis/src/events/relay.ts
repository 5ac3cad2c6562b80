// The broker relay: with NATS, each instance of a producing service runs one;
// they take turns under an advisory lock. A run hands the broker, in one
// transaction per batch, the outbox rows that are readable (no transaction
// still open can commit a row before them: db/commit-order.ts) and not
// published yet, in their commit-key order, then numbers them (position,
// 1, 2, ... along that order, as the feed numbers its events) and marks them
// published. There is no step per commit: rows committed meanwhile go in the
// next batch. A crash anywhere leaves rows unpublished; the next run, in this
// or another instance, publishes them again (the broker drops the copies).
// The embedded feed needs no relay: the feed route reads the outbox itself.

import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { CloudEvent } from './envelope.ts';
import { nextNotification, OUTBOX_CHANNEL, type Notifier } from './notifier.ts';
import { failurePause } from '../backoff.ts';
import { readableBound } from '../db/commit-order.ts';
import { pause } from './pause.ts';
import type { EventMetrics } from './event-metrics.ts';

/** Sends events to a broker, in order; rejects at the first one not accepted. */
export type Publisher = (events: readonly CloudEvent[]) => Promise<void>;

export interface RelayOptions {
  db: Kysely<any>;
  notifier: Notifier;
  log: Logger;
  metrics: EventMetrics;
  publisher: Publisher;
  /** Runs even without a notification this often (a missed one, a connection blip). */
  pollIntervalMs: number;
  batchSize?: number;
}

export interface Relay {
  /** Publishes what is readable now (tests, and the loop). */
  runOnce(): Promise<{ published: number }>;
  stop(): Promise<void>;
}

// Any constant works: each service has its own database.
export const RELAY_LOCK = 0x50_55_4b_01;
/** Rows committed but waiting for an older transaction of the database to end: look again after 2 ms, doubling to 64 ms. */
const HELD_BACK_RETRY = { firstMs: 2, capMs: 64 };

export function startRelay(options: RelayOptions): Relay {
  const { db, log, metrics } = options;
  const batchSize = options.batchSize ?? 500;
  const stopping = new AbortController();
  let pending = true;
  /**
   * Committed rows were not readable yet at the last run: their older transaction ends without a
   * notification, so look again soon.
   */
  let heldBack = false;
  const offOutbox = options.notifier.on(OUTBOX_CHANNEL, () => void (pending = true));

  // The bound is the precise one (feed-route.ts says why): with PostgreSQL's horizon alone, a run
  // after a commit found its rows held back by the server's other transactions and published
  // nothing, and the next run, 2 ms later, published them: two transactions and a pause per run.
  async function publish(publisher: Publisher): Promise<number> {
    return db.transaction().execute(async (trx) => {
      // Waits for a run in another instance to finish, then sees what it committed.
      await sql`select pg_advisory_xact_lock(${RELAY_LOCK})`.execute(trx);
      const { rows } = await sql<{
        commit_key: number | null;
        envelope: CloudEvent | null;
        created_at: Date | null;
        held_back: boolean;
      }>`
        with b as materialized (select ${readableBound('souk_outbox', 'commit_key', { precise: true })} as bound)
        select o.commit_key, o.envelope, o.created_at,
               (select max(commit_key) from souk_outbox) >= b.bound as held_back
        from b left join lateral (
          select commit_key, envelope, created_at from souk_outbox
          where published_at is null and commit_key < b.bound order by commit_key limit ${batchSize}) o on true
        order by o.commit_key`.execute(trx);
      heldBack = rows[0]?.held_back ?? false;
      const batch = rows.filter((r) => r.commit_key !== null);
      if (batch.length === 0) return 0;
      // A crash after the broker accepted but before this commit republishes
      // the same ids; the broker's de-duplication (Nats-Msg-Id) drops them.
      await publisher(batch.map((r) => r.envelope!));
      // Numbered along the key order after what is numbered already (rows numbered before keep their number).
      await sql`
        update souk_outbox o set published_at = clock_timestamp(), position = coalesce(o.position, n.position)
        from (select commit_key, (select coalesce(max(position), 0) from souk_outbox)
                + row_number() over (partition by position is null order by commit_key) as position
              from souk_outbox where commit_key = any(${batch.map((r) => r.commit_key)}::bigint[])) n
        where o.commit_key = n.commit_key and o.published_at is null`.execute(trx);
      const now = Date.now();
      for (const r of batch) metrics.publishDuration.observe({ type: r.envelope!.type }, (now - r.created_at!.getTime()) / 1000);
      return batch.length;
    });
  }

  async function runOnce() {
    pending = false;
    let published = 0;
    for (let n = batchSize; n === batchSize;) published += n = await publish(options.publisher);
    return { published };
  }

  const loop = (async () => {
    let failures = 0;
    let retryMs = HELD_BACK_RETRY.firstMs;
    while (!stopping.signal.aborted) {
      if (!pending) {
        const wait = heldBack ? retryMs : options.pollIntervalMs;
        retryMs = heldBack ? Math.min(retryMs * 2, HELD_BACK_RETRY.capMs) : HELD_BACK_RETRY.firstMs;
        await nextNotification(options.notifier, OUTBOX_CHANNEL, wait, stopping.signal);
      }
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
