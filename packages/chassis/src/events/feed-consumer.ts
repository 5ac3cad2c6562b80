// The consuming side of the embedded feed transport. For each producer it
// reads, a service keeps a cursor in its own database. One instance at a time
// holds the lease on a producer's cursor and handles that feed in order; the
// others stand by and take over when the lease runs out (an instance that
// died). Different producers' feeds spread over the instances. The cursor
// moves in the handler's own transaction, so a crash never skips an event.

import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ServiceClient } from '../client/types.ts';
import { isSoukError } from '../errors/index.ts';
import { FEED_PATH, type FeedPage } from './feed-route.ts';
import type { EventMetrics } from './event-metrics.ts';
import type { Handling } from './handling.ts';
import { failurePause } from '../backoff.ts';
import { pause } from './pause.ts';

export interface FeedConsumerOptions {
  db: Kysely<any>;
  log: Logger;
  owner: string;
  producer: string;
  types: readonly string[];
  client: ServiceClient;
  handling: Handling;
  metrics: EventMetrics;
  leaseMs: number;
  waitMs: number;
}

export interface FeedConsumer {
  stop(): Promise<void>;
  /** Ends a held poll now, so the loop reads its cursor again (a replay moved it back). */
  wake(): void;
}

export function startFeedConsumer(o: FeedConsumerOptions): FeedConsumer {
  const stopping = new AbortController();
  const sleep = (ms: number) => pause(ms, stopping.signal);
  // The current held poll; wake() ends it. (One controller per poll rather than AbortSignal.any, see feed-route.ts.)
  let poll = new AbortController();
  const waitMs = Math.min(o.waitMs, Math.floor(o.leaseMs / 2));

  /** Takes or renews the lease on this producer's cursor (one round trip); undefined while another instance holds it. */
  async function acquire(): Promise<number | undefined> {
    const { rows } = await sql<{ position: number }>`
      insert into souk_feed_cursor as c (producer, lease_owner, lease_until) values (${o.producer}, ${o.owner}, ${leaseUntil()})
      on conflict (producer) do update set lease_owner = excluded.lease_owner, lease_until = excluded.lease_until
      where c.lease_owner = ${o.owner} or c.lease_owner is null or c.lease_until < now()
      returning c.position`.execute(o.db);
    return rows[0]?.position;
  }

  // clock_timestamp, not now(): inside a long transaction now() is when it began.
  const leaseUntil = () => sql`clock_timestamp() + make_interval(secs => ${o.leaseMs / 1000})`;

  /** Moves the cursor in the handler's transaction, only while this instance holds the lease (and renews it). */
  const advance = (position: number) => async (trx: Kysely<any>) => {
    const res = await sql`
      update souk_feed_cursor set position = greatest(position, ${position}), lease_until = ${leaseUntil()}
      where producer = ${o.producer} and lease_owner = ${o.owner}`.execute(trx);
    return Number(res.numAffectedRows ?? 0) > 0;
  };

  /**
   * Keeps the lease while a page is handled (slow handlers, a big page): without it another
   * instance would take the feed over mid-page, this one's transaction would roll back, and the
   * two could keep taking it from each other without either finishing a page.
   */
  function holdLease(): () => void {
    const timer = setInterval(
      () => {
        sql`update souk_feed_cursor set lease_until = ${leaseUntil()} where producer = ${o.producer} and lease_owner = ${o.owner}`
          .execute(o.db)
          .catch((err: unknown) => o.log.debug({ err }, 'renewing the feed lease failed'));
      },
      Math.max(100, Math.floor(o.leaseMs / 3)),
    );
    return () => clearInterval(timer);
  }

  async function fetchPage(after: number): Promise<FeedPage> {
    const res = await o.client.request<FeedPage>({
      method: 'GET',
      path: FEED_PATH,
      query: { after, types: o.types.join(','), limit: 100, waitMs },
      timeoutMs: waitMs + 5_000,
      signal: poll.signal,
    });
    return res.body;
  }

  /** Handles a page in order; returns false when the lease was lost or a retry must wait. */
  async function handlePage(page: FeedPage): Promise<boolean> {
    if (page.events.length > 1) {
      // The common case, all in one transaction; any trouble and the events go one by one below.
      const batch = await o.handling.deliverBatch(page.events, advance(page.position));
      if (batch === 'lost') return false;
      if (batch === 'handled') {
        o.metrics.consumerLag.set({ producer: o.producer }, Math.max(0, page.head - page.position));
        return true;
      }
    }
    for (const event of page.events) {
      if (stopping.signal.aborted) return false;
      const outcome = await o.handling.deliver(event, advance(Number(event.sequence)));
      if (outcome.kind === 'lost') return false;
      if (outcome.kind === 'retry') {
        await sleep(outcome.delayMs);
        return false; // start again from the cursor: the same event comes back first
      }
    }
    // Past skipped types and the last event: keep the cursor where the page ended.
    await o.db.transaction().execute((trx) => advance(page.position)(trx));
    o.metrics.consumerLag.set({ producer: o.producer }, Math.max(0, page.head - page.position));
    return true;
  }

  const loop = (async () => {
    let failures = 0;
    while (!stopping.signal.aborted) {
      if (poll.signal.aborted) poll = new AbortController();
      try {
        const position = await acquire();
        if (position === undefined) {
          await sleep(o.leaseMs / 3); // another instance reads this feed
          continue;
        }
        const page = await fetchPage(position);
        const release = holdLease();
        try {
          await handlePage(page);
        } finally {
          release();
        }
        failures = 0;
      } catch (err) {
        if (stopping.signal.aborted) break;
        if (poll.signal.aborted) continue; // woken: read the cursor again at once
        failures++;
        // The producer or the database is away: log the first failure, then back off quietly. A producer
        // not registered yet is normal at start (they start side by side), not a warning.
        if (failures === 1) {
          if (isSoukError(err) && err.code === 'SOUK_CLIENT_NO_INSTANCE')
            o.log.info({ producer: o.producer }, `waiting for ${o.producer} to register`);
          else o.log.warn({ err, producer: o.producer }, 'reading the event feed failed; retrying');
        }
        await sleep(failurePause(failures));
      }
    }
    // Hand the feed to another instance at once rather than after the lease runs out.
    await sql`update souk_feed_cursor set lease_owner = null, lease_until = null where producer = ${o.producer} and lease_owner = ${o.owner}`
      .execute(o.db)
      .catch(() => undefined);
  })();

  return {
    async stop() {
      stopping.abort();
      poll.abort();
      await loop;
    },
    wake() {
      poll.abort();
    },
  };
}
