// The broker relay: with NATS, each instance of a producing service runs one;
// they take turns under an advisory lock. A pass hands the broker the outbox
// rows that are readable (no transaction still open can commit a row before
// them: db/commit-order.ts) and not published yet, in their commit-key order,
// then numbers them (position, 1, 2, ... along that order, as the feed numbers
// its events) and marks them published. There is no step per commit: rows
// committed meanwhile go in the next pass. A crash anywhere leaves rows
// unpublished; the next pass, in this or another instance, publishes them
// again (the broker drops the copies).
//
// The relay has a connection of its own, outside the service's pool: in the
// pool its passes queued behind the service's own transactions, and under load
// (1,000 commits/s) a pass waited for a connection long enough to gather ~36
// events, which was most of commit → handler. On its own connection a pass is
// two statements (take, mark): the lock is a session lock, taken in the take
// statement and kept while events keep coming, released after KEEP_LOCK_IDLE_MS
// without any, so another instance (or anything else that takes the lock)
// gets its turn.
// The embedded feed needs no relay: the feed route reads the outbox itself.

import { sql, type Kysely, type RawBuilder } from 'kysely';
import pg from 'pg';
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
  /** Compiles the relay's statements (they run on the relay's own connection, not through the pool). */
  db: Kysely<any>;
  /** The service's database, for the relay's own connection. */
  databaseUrl: string;
  /** Names the connection (`<applicationName>-relay`). */
  applicationName: string;
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
/** The lock is kept this long after the last notification, so a steady stream of commits does not pay a statement to release it per pass. */
export const KEEP_LOCK_IDLE_MS = 100;

interface Row {
  got: boolean;
  commit_key: string | null;
  envelope: CloudEvent | null;
  created_at: Date | null;
  held_back: boolean;
}

export function startRelay(options: RelayOptions): Relay {
  const { db, log, metrics } = options;
  const batchSize = options.batchSize ?? 500;
  const stopping = new AbortController();
  let pending = true;
  /**
   * Committed rows were not readable yet at the last pass: their older transaction ends without a
   * notification, so look again soon.
   */
  let heldBack = false;
  const offOutbox = options.notifier.on(OUTBOX_CHANNEL, () => void (pending = true));

  // The bound is the precise one (feed-route.ts says why): with PostgreSQL's horizon alone, a pass
  // after a commit found its rows held back by the server's other transactions and published
  // nothing, and the next pass, 2 ms later, published them.
  const take = (got: RawBuilder<boolean>) =>
    sql<Row>`
      with l as materialized (select ${got} as got),
           b as materialized (select ${readableBound('souk_outbox', 'commit_key', { precise: true })} as bound)
      select l.got, o.commit_key, o.envelope, o.created_at,
             (select max(commit_key) from souk_outbox) >= b.bound as held_back
      from l cross join b left join lateral (
        select commit_key, envelope, created_at from souk_outbox
        where l.got and published_at is null and commit_key < b.bound order by commit_key limit ${batchSize}) o on true
      order by o.commit_key`.compile(db);
  // Without the lock: try for it in the statement itself (no round trip of its own). Its snapshot is
  // taken a moment before the lock, so a pass of another instance that committed in between shows
  // its rows as unpublished: they are published again (the broker drops the copies) and not marked
  // twice (the mark statement sees them published).
  const takeTrying = take(sql<boolean>`pg_try_advisory_lock(${RELAY_LOCK})`);
  const takeHolding = take(sql<boolean>`true`);
  // Numbered along the key order after what is numbered already (rows numbered before keep their number).
  const mark = sql`
    update souk_outbox o set published_at = clock_timestamp(), position = coalesce(o.position, n.position)
    from (select commit_key, (select coalesce(max(position), 0) from souk_outbox)
            + row_number() over (partition by position is null order by commit_key) as position
          from souk_outbox where commit_key = any(${[]}::bigint[])) n
    where o.commit_key = n.commit_key and o.published_at is null`.compile(db).sql;

  let client: pg.Client | undefined;
  let locked = false;
  /** Blocked in pg_advisory_lock behind another instance: stop() ends the connection to get out. */
  let waitingForLock = false;

  async function connection(): Promise<pg.Client> {
    if (client) return client;
    const c = new pg.Client({ connectionString: options.databaseUrl, application_name: `${options.applicationName}-relay` });
    c.on('error', (err) => {
      log.debug({ err }, 'outbox relay connection failed');
      if (client === c) drop();
    });
    try {
      await c.connect();
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
    return (client = c);
  }
  /** Ends the connection: PostgreSQL releases the session's lock with it. */
  function drop() {
    const c = client;
    client = undefined;
    locked = false;
    void c?.end().catch(() => undefined);
  }
  const query = <R extends pg.QueryResultRow>(c: pg.Client, name: string, text: string, values: unknown[]) =>
    c.query<R>({ name, text, values });

  async function publish(publisher: Publisher): Promise<number> {
    const c = await connection();
    let rows: Row[];
    if (locked) rows = (await query<Row>(c, 'souk_relay_take', takeHolding.sql, [...takeHolding.parameters])).rows;
    else {
      rows = (await query<Row>(c, 'souk_relay_try', takeTrying.sql, [...takeTrying.parameters])).rows;
      locked = rows[0]?.got ?? false;
      if (!locked) {
        // Another instance holds the lock (while its commits keep coming): wait for it, then read afresh.
        waitingForLock = true;
        try {
          if (stopping.signal.aborted) return 0;
          await c.query('select pg_advisory_lock($1)', [RELAY_LOCK]);
        } finally {
          waitingForLock = false;
        }
        locked = true;
        rows = (await query<Row>(c, 'souk_relay_take', takeHolding.sql, [...takeHolding.parameters])).rows;
      }
    }
    heldBack = rows[0]?.held_back ?? false;
    const batch = rows.filter((r) => r.commit_key !== null);
    if (batch.length === 0) return 0;
    // A crash after the broker accepted but before the mark republishes
    // the same ids; the broker's de-duplication (Nats-Msg-Id) drops them.
    await publisher(batch.map((r) => r.envelope!));
    await query(c, 'souk_relay_mark', mark, [batch.map((r) => r.commit_key)]);
    const now = Date.now();
    for (const r of batch) metrics.publishDuration.observe({ type: r.envelope!.type }, (now - r.created_at!.getTime()) / 1000);
    return batch.length;
  }

  /** Lets another instance have its turn. */
  async function release() {
    if (!locked || !client) return;
    await client.query('select pg_advisory_unlock($1)', [RELAY_LOCK]);
    locked = false;
  }

  // One pass at a time in this instance (the loop, and runOnce from tools and tests): they share the
  // connection, whose session lock does not keep them apart.
  let turn: Promise<unknown> = Promise.resolve();
  function serially<T>(work: () => Promise<T>): Promise<T> {
    const result = turn.then(work);
    turn = result.catch(() => undefined);
    return result;
  }

  function runOnce() {
    return serially(async () => {
      pending = false;
      let published = 0;
      try {
        for (let n = batchSize; n === batchSize;) published += n = await publish(options.publisher);
      } catch (err) {
        drop(); // whatever it held (the lock) goes with the session
        throw err;
      }
      return { published };
    });
  }

  const loop = (async () => {
    let failures = 0;
    let retryMs = HELD_BACK_RETRY.firstMs;
    while (!stopping.signal.aborted) {
      if (!heldBack) retryMs = HELD_BACK_RETRY.firstMs;
      if (!pending) {
        if (heldBack) {
          await nextNotification(options.notifier, OUTBOX_CHANNEL, retryMs, stopping.signal);
          retryMs = Math.min(retryMs * 2, HELD_BACK_RETRY.capMs);
        } else if (locked) {
          await nextNotification(options.notifier, OUTBOX_CHANNEL, KEEP_LOCK_IDLE_MS, stopping.signal);
          if (!pending && !stopping.signal.aborted) await serially(release).catch(drop);
          continue;
        } else {
          await nextNotification(options.notifier, OUTBOX_CHANNEL, options.pollIntervalMs, stopping.signal);
        }
      }
      if (stopping.signal.aborted) break;
      try {
        await runOnce();
        failures = 0;
      } catch (err) {
        if (stopping.signal.aborted) break; // its connection ended under a pass waiting for the lock
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
      // A pass under way finishes (what it published gets marked); one waiting for another instance's turn does not.
      if (waitingForLock) drop();
      await loop;
      await turn;
      drop();
    },
  };
}
