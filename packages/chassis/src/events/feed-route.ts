// GET /_events: the producer's outbox served as an ordered feed (the embedded
// transport). Rows follow their commit keys (db/commit-order.ts), and only
// keys below the readable bound are served, so nothing can later appear
// before what a consumer has read. Events are numbered along that order
// (position 1, 2, ...; the number never changes once served). A consumer asks
// for what follows its cursor, only the types it handles: when none follows,
// the request is held until a transaction commits one of those types or the
// wait ends; commits of other types do not wake it. Only a service token with
// the scope `events:read:<this producer>` reads it (401 without a token, 403
// without the scope): the feed carries users' emails and every order.

import { sql, type Kysely } from 'kysely';
import { Type } from 'typebox';
import type { PreHandler } from '../auth/auth-hooks.ts';
import type { App } from '../server/app.ts';
import { readableBound } from '../db/commit-order.ts';
import { armNotification, OUTBOX_CHANNEL, type Notifier } from './notifier.ts';
import type { CloudEvent } from './envelope.ts';
import type { EventMetrics } from './event-metrics.ts';
import { pause } from './pause.ts';

export const FEED_PATH = '/_events';
export const FEED_MAX_WAIT_MS = 60_000;
/** How far past a full page a read counts the feed's head (a consumer far behind learns "at least this far"). */
export const FEED_HEAD_COUNT_LIMIT = 10_000;
/** Re-reads while committed events wait for an older transaction of the database to end: 2 ms doubling to 64 ms. */
const HELD_BACK_RETRY = { firstMs: 2, capMs: 64 };

export const FeedQuery = Type.Object({
  after: Type.Integer({
    minimum: 0,
    default: 0,
    description: 'Return events after this position (the last one read; 0: from the start).',
  }),
  key: Type.Optional(
    Type.Integer({
      minimum: 0,
      description:
        "The feed's key at position `after` (the previous page's `key`); without it the producer counts its way there.",
    }),
  ),
  types: Type.Optional(
    Type.String({ description: 'Comma-separated event types; others are skipped (the position still moves past them).' }),
  ),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  waitMs: Type.Integer({
    minimum: 0,
    maximum: FEED_MAX_WAIT_MS,
    default: 0,
    description: 'Hold the request this long when no event of `types` follows `after`.',
  }),
});

export interface FeedPage {
  /** CloudEvents with their position in the `sequence` extension. */
  events: CloudEvent[];
  /** The feed's key of each event (the `key` to resume after it). */
  keys: number[];
  /** Read up to here: the next request's `after`. Moves past skipped types too, in a page with events or once the wait ended. */
  position: number;
  /** The feed's key at `position`: the next request's `key` (absent when `after` lies beyond the feed). */
  key?: number;
  /** The newest position in the feed when this page was read (at most FEED_HEAD_COUNT_LIMIT past a full page). */
  head: number;
}

interface FeedRead extends FeedPage {
  /** Events of the wanted types committed but not readable yet: an older transaction of this database is still open. */
  heldBack: boolean;
}

export function registerFeedRoute(
  app: App,
  deps: {
    db: Kysely<any>;
    notifier: Notifier;
    metrics: EventMetrics;
    closing: AbortSignal;
    /** Checks the reader (onRequest: before the query is validated, so a stranger learns nothing from a 400). */
    reader: PreHandler;
  },
): void {
  // Commit → first served, per event type: each event counts once per instance, by the first reader of its type.
  const observedUpTo = new Map<string, number>();

  app.get(FEED_PATH, { onRequest: deps.reader, schema: { querystring: FeedQuery, hide: true } }, async (req, reply) => {
    // Stop holding when the service shuts down or the reader hangs up. (Not AbortSignal.any: on
    // Node 20 the long-lived closing signal keeps every derived signal alive.)
    const gone = new AbortController();
    const hangUp = () => gone.abort();
    reply.raw.once('close', hangUp);
    deps.closing.addEventListener('abort', hangUp, { once: true });
    if (deps.closing.aborted) hangUp();
    const stop = gone.signal;
    try {
      const { heldBack: _, ...page } = await serve(req.query, stop);
      observe(page);
      return page satisfies FeedPage;
    } finally {
      deps.closing.removeEventListener('abort', hangUp);
    }
  });

  async function serve(
    query: { after: number; key?: number | undefined; limit: number; waitMs: number; types?: string | undefined },
    stop: AbortSignal,
  ): Promise<FeedRead> {
    const { after, limit, waitMs } = query;
    const types = query.types
      ?.split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    const wanted = types && types.length > 0 ? new Set(types) : undefined;
    const deadline = Date.now() + waitMs;
    let from = { position: after, key: query.key ?? (await seek(deps.db, after)) };
    if (from.key === undefined) return { events: [], keys: [], position: after, head: after, heldBack: false };
    let retryMs = HELD_BACK_RETRY.firstMs;
    for (;;) {
      // Listen before reading: a commit between the read and the wait must not be missed.
      const woken = armNotification(
        deps.notifier,
        OUTBOX_CHANNEL,
        Math.max(0, deadline - Date.now()),
        stop,
        wanted ? (type) => wanted.has(type) : undefined,
      );
      const page = await readFeed(deps.db, from as { position: number; key: number }, limit, types).catch((err: unknown) => {
        woken.cancel();
        throw err;
      });
      if (page.events.length > 0 || Date.now() >= deadline || stop.aborted) {
        woken.cancel();
        return page;
      }
      // Only other types (or nothing) so far: keep holding, and read on from where this read ended.
      from = { position: page.position, key: page.key! };
      if (page.heldBack) {
        // Committed events of these types wait for an older transaction, whose end notifies nobody.
        await Promise.race([woken.done, pause(Math.min(retryMs, Math.max(0, deadline - Date.now())), stop)]);
        woken.cancel();
        retryMs = Math.min(retryMs * 2, HELD_BACK_RETRY.capMs);
      } else {
        await woken.done;
        retryMs = HELD_BACK_RETRY.firstMs;
      }
      // Shutting down (the pool may close once the server stops) or nobody listening: answer without reading again.
      if (stop.aborted) return page;
    }
  }

  function observe(page: FeedPage): void {
    const now = Date.now();
    page.events.forEach((event, i) => {
      const key = page.keys[i]!;
      if (key <= (observedUpTo.get(event.type) ?? 0)) return;
      observedUpTo.set(event.type, key);
      const age = (now - Date.parse(event.time)) / 1000;
      if (Number.isFinite(age) && age >= 0) deps.metrics.publishDuration.observe({ type: event.type }, age);
    });
  }
}

/** The key of the event at `position`, counting from the start; undefined when the feed is shorter. */
async function seek(db: Kysely<any>, position: number): Promise<number | undefined> {
  if (position === 0) return 0;
  const { rows } = await sql<{ key: number }>`
    select commit_key as key from souk_outbox where commit_key < ${readableBound('souk_outbox', 'commit_key', { precise: true })}
    order by commit_key offset ${position - 1} limit 1`.execute(db);
  return rows[0]?.key;
}

interface FeedRow {
  key: number;
  n: number;
  readable: boolean;
  hit: boolean;
  edge: boolean;
  envelope: CloudEvent | null;
}

/**
 * One page after `from`: up to `limit` events of `types`, numbered along the feed, from one
 * index range scan. Rows of other types are scanned (to number the events) but not sent; the
 * page's position moves past them when it reaches the end of what is readable. The scan also
 * notices a wanted event beyond the readable bound (held back by an open transaction).
 * The bound is the precise one: it takes PostgreSQL's horizon when that already lets every row
 * through (one index probe), and looks at other databases' transactions only when it would not.
 * (A first read with the horizon alone came back empty and held back at nearly every wake-up
 * under load, the horizon being held by the other transactions of the server, and cost a
 * second read after a pause.)
 */
export async function readFeed(
  db: Kysely<any>,
  from: { position: number; key: number },
  limit: number,
  types?: readonly string[],
): Promise<FeedRead> {
  const hit = types && types.length > 0 ? sql`o.type = any(${types})` : sql`true`;
  const { rows } = await sql<FeedRow>`
    with b as materialized (select ${readableBound('souk_outbox', 'commit_key', { precise: true })} as bound),
    scan as (
      select o.commit_key as key, o.commit_key < b.bound as readable, ${hit} as hit,
             ${from.position}::bigint + row_number() over w as n,
             coalesce(lead(o.commit_key) over w < b.bound, false) = false as edge,
             case when ${hit} and o.commit_key < b.bound then o.envelope end as envelope
      from souk_outbox o, b where o.commit_key > ${from.key}
      window w as (order by o.commit_key)
    )
    select key, n, readable, hit, edge, envelope from scan
    where (readable and (hit or edge)) or (not readable and hit)
    order by key limit ${limit + 1}`.execute(db);
  const events: CloudEvent[] = [];
  const keys: number[] = [];
  let end = from;
  let full = false;
  let heldBack = false;
  for (const r of rows) {
    if (!r.readable) {
      heldBack = true; // a wanted event committed behind a transaction still open
      break;
    }
    if (r.hit) {
      if (events.length === limit) {
        full = true; // more follow: the page ends at its last event
        break;
      }
      events.push({ ...r.envelope!, sequence: String(r.n) });
      keys.push(r.key);
      end = { position: r.n, key: r.key };
    }
    if (r.edge) end = { position: r.n, key: r.key }; // the last readable row: past every skipped type
  }
  // Only a full page does not know where the feed ends: count (up to a limit) what follows it.
  let head = end.position;
  if (full) {
    const { rows: ahead } = await sql<{ n: number }>`
      select count(*) as n from (select from souk_outbox where commit_key > ${end.key}
        and commit_key < ${readableBound('souk_outbox', 'commit_key', { precise: false })} limit ${FEED_HEAD_COUNT_LIMIT}) c`.execute(
      db,
    );
    head += Number(ahead[0]?.n ?? 0);
  }
  return { events, keys, position: end.position, key: end.key, head, heldBack };
}
