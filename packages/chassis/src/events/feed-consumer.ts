// The consuming side of the embedded feed transport. For each producer it
// reads, a service keeps a cursor in its own database. One instance at a time
// holds the lease on a producer's cursor and handles that feed in order; the
// others stand by and take over when the lease runs out (an instance that
// died). Different producers' feeds spread over the instances.
//
// The holder takes the lease once and keeps it with a timer (every third of
// the lease), knows its cursor in memory, and reads the lease row again only
// when it lost the lease or a replay woke it. A page is handled in one
// transaction that also moves the cursor, guarded by the lease, so a crash
// never skips an event and an instance that lost the lease commits nothing.
// The page's end is known before its handlers run, so the cursor moves in the
// page's inbox statement (handling.ts), not in one more statement of its own.

import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Logger } from 'pino';
import type { ServiceClient } from '../client/types.ts';
import { isSoukError } from '../errors/index.ts';
import { FEED_PATH, type FeedPage } from './feed-route.ts';
import type { EventMetrics } from './event-metrics.ts';
import type { Handling, Within } from './handling.ts';
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

/** Where this service has read a producer's feed: the event number and, when known, the feed's key there. */
interface Cursor {
  position: number;
  key: number | undefined;
}

const PAGE_SIZE = 100;

export function startFeedConsumer(o: FeedConsumerOptions): FeedConsumer {
  const stopping = new AbortController();
  const sleep = (ms: number) => pause(ms, stopping.signal);
  // The current held poll; wake() ends it. (One controller per poll rather than AbortSignal.any, see feed-route.ts.)
  let poll = new AbortController();
  /** The cursor while this instance holds the lease; undefined otherwise. */
  let held: Cursor | undefined;
  /** Moves on each lease lost, so work that began under an earlier lease does not write the cursor back. */
  let epoch = 0;
  let renewal: NodeJS.Timeout | undefined;

  // clock_timestamp, not now(): inside a long transaction now() is when it began.
  const leaseUntil = () => sql`clock_timestamp() + make_interval(secs => ${o.leaseMs / 1000})`;
  // Bookkeeping that a crash may lose (a lease renewal, a cursor moved past other types only): its
  // commit does not wait for the WAL flush. Losing it costs a renewal or a re-read, nothing else.
  const bookkeeping = sql`(select set_config('synchronous_commit', 'off', true)) is not null`;

  /** Takes the lease on this producer's cursor (one round trip); undefined while another instance holds it. */
  async function acquire(): Promise<Cursor | undefined> {
    const { rows } = await sql<{ position: number; commit_key: number | null; commit_key_at: number | null }>`
      insert into souk_feed_cursor as c (producer, lease_owner, lease_until) values (${o.producer}, ${o.owner}, ${leaseUntil()})
      on conflict (producer) do update set lease_owner = excluded.lease_owner, lease_until = excluded.lease_until
      where c.lease_owner = ${o.owner} or c.lease_owner is null or c.lease_until < now()
      returning c.position, c.commit_key, c.commit_key_at`.execute(o.db);
    const row = rows[0];
    if (!row) return undefined;
    // A key written for another position is stale (someone moved the position by hand): the producer counts instead.
    return { position: row.position, key: row.commit_key_at === row.position ? (row.commit_key ?? undefined) : undefined };
  }

  function lose(): void {
    held = undefined;
    epoch++;
    clearInterval(renewal);
    renewal = undefined;
    poll.abort();
  }

  /** Keeps the lease while this instance reads, whatever the pages and polls take. */
  function keepLease(): void {
    let renewing = false;
    renewal = setInterval(
      () => {
        if (renewing) return;
        renewing = true;
        const at = epoch;
        sql`update souk_feed_cursor set lease_until = ${leaseUntil()}
            where producer = ${o.producer} and lease_owner = ${o.owner} and ${bookkeeping}`
          .execute(o.db)
          .then(
            (res) => {
              if (Number(res.numAffectedRows ?? 0) === 0 && at === epoch) lose();
            },
            (err: unknown) => o.log.debug({ err }, 'renewing the feed lease failed'),
          )
          .finally(() => (renewing = false));
      },
      Math.max(100, Math.floor(o.leaseMs / 3)),
    );
  }

  const moveTo = (to: Cursor, guard: RawBuilder<unknown>) => sql`
    update souk_feed_cursor set position = ${to.position}, commit_key = ${to.key ?? null}, commit_key_at = ${to.position}
    where producer = ${o.producer} and lease_owner = ${o.owner} and ${guard}`;

  /** Moves the cursor in the handler's transaction (in its inbox statement), only while this instance holds the lease. */
  const advance =
    (to: Cursor): Within =>
    (guard) =>
      moveTo(to, guard);

  /** Moves the cursor past events of other types only: bookkeeping, in a statement of its own. */
  async function skipTo(to: Cursor): Promise<boolean> {
    const res = await moveTo(to, bookkeeping).execute(o.db);
    return Number(res.numAffectedRows ?? 0) > 0;
  }

  /**
   * The page after a full one, asked for as its handlers start: behind the feed, the producer's read and
   * the answer's trip overlap the handlers instead of following them. (After a page that is not full the
   * consumer has caught up: asking after the handlers gathers what committed meanwhile into one page,
   * where a read held during them would answer with the first commit, a page per few events.) Used only
   * if the page ends where this read began (a retry, a lost lease or a failure drops it); `poll` ends it
   * as it ends any read.
   */
  let ahead: { from: Cursor; at: number; page: Promise<FeedPage> } | undefined;
  const startsAt = (a: Cursor, b: Cursor | undefined) => b !== undefined && a.position === b.position && a.key === b.key;

  function readAhead(from: Cursor, at: number): void {
    const page = fetchPage(from);
    page.catch(() => undefined); // dropped or failed: the loop reads from its cursor again
    ahead = { from, at, page };
  }

  /** The read ahead, if it starts where the cursor is now; otherwise it is ended. */
  function takeAhead(at: number): Promise<FeedPage> | undefined {
    const next = ahead;
    if (next && next.at === at && at === epoch && startsAt(next.from, held)) {
      ahead = undefined;
      return next.page;
    }
    dropAhead();
    return undefined;
  }

  function dropAhead(): void {
    if (!ahead) return;
    ahead = undefined;
    // The only read in flight: end it, and poll anew from here on.
    poll.abort();
    poll = new AbortController();
  }

  async function fetchPage(from: Cursor): Promise<FeedPage> {
    const res = await o.client.request<FeedPage>({
      method: 'GET',
      path: FEED_PATH,
      query: {
        after: from.position,
        ...(from.key !== undefined ? { key: from.key } : {}),
        types: o.types.join(','),
        limit: PAGE_SIZE,
        waitMs: o.waitMs,
      },
      timeoutMs: o.waitMs + 5_000,
      signal: poll.signal,
      // The producer serves its feed only to a service token with events:read:<producer>.
      auth: 'service',
    });
    return res.body;
  }

  /** Handles a page in order; the cursor in memory follows what committed. */
  async function handlePage(page: FeedPage, at: number): Promise<void> {
    const end: Cursor = { position: page.position, key: page.key };
    const moved = (to: Cursor) => {
      if (at === epoch) held = to;
    };
    if (page.events.length > 0) {
      // The common case, all in one transaction; any trouble and the events go one by one below.
      const batch = await o.handling.deliverBatch(page.events, advance(end));
      if (batch === 'lost') return lose();
      if (batch === 'handled') {
        moved(end);
        o.metrics.consumerLag.set({ producer: o.producer }, Math.max(0, page.head - page.position));
        return;
      }
      for (const [i, event] of page.events.entries()) {
        if (stopping.signal.aborted || at !== epoch) return;
        const to = { position: Number(event.sequence), key: page.keys[i] };
        const outcome = await o.handling.deliver(event, advance(to));
        if (outcome.kind === 'lost') return lose();
        if (outcome.kind === 'retry') return void (await sleep(outcome.delayMs)); // from the cursor again: this event first
        moved(to);
      }
    }
    // Learnt where the position lies in the feed (the producer had to count): keep it.
    if (held && held.key === undefined && page.key !== undefined && page.position === held.position) moved(end);
    // Past skipped types (or the last event): keep the cursor where the page ended.
    if (held && page.position > held.position && at === epoch) {
      if (!(await skipTo(end))) return lose();
      moved(end);
    }
    o.metrics.consumerLag.set({ producer: o.producer }, Math.max(0, page.head - page.position));
  }

  const loop = (async () => {
    let failures = 0;
    while (!stopping.signal.aborted) {
      if (poll.signal.aborted) poll = new AbortController();
      try {
        if (!held) {
          const cursor = await acquire();
          if (!cursor) {
            await sleep(o.leaseMs / 3); // another instance reads this feed
            continue;
          }
          held = cursor;
          keepLease();
        }
        const at = epoch;
        const page = await (takeAhead(at) ?? fetchPage(held));
        if (page.events.length >= PAGE_SIZE && page.key !== undefined) readAhead({ position: page.position, key: page.key }, at);
        await handlePage(page, at);
        failures = 0;
      } catch (err) {
        const woken = poll.signal.aborted;
        dropAhead(); // whatever failed, the next read starts from the cursor
        if (stopping.signal.aborted) break;
        if (woken) continue; // woken: read the cursor again at once
        failures++;
        // The producer or the database is away: log the first failure, then back off quietly. A producer
        // not registered yet is normal at start (they start side by side), not a warning.
        if (failures === 1) {
          if (isSoukError(err) && err.code === 'SOUK_CLIENT_NO_INSTANCE')
            o.log.info({ producer: o.producer }, `waiting for ${o.producer} to register`);
          else if (isSoukError(err) && err.status === 403)
            // Not passing: the service's OAuth client lacks the scope; retried in case the grant is being fixed.
            o.log.error(
              { err, producer: o.producer },
              `this service's token may not read ${o.producer}'s feed (needs events:read:${o.producer})`,
            );
          else o.log.warn({ err, producer: o.producer }, 'reading the event feed failed; retrying');
        }
        await sleep(failurePause(failures));
      }
    }
    clearInterval(renewal);
    // Hand the feed to another instance at once rather than after the lease runs out.
    await sql`update souk_feed_cursor set lease_owner = null, lease_until = null
              where producer = ${o.producer} and lease_owner = ${o.owner} and ${bookkeeping}`
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
      // A replay rewound the cursor and freed the lease: take it again and read from where it says.
      lose();
    },
  };
}
