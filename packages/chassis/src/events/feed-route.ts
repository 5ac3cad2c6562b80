// GET /_events: the producer's outbox served as an ordered feed (the embedded
// transport). A consumer asks for what follows its cursor; when nothing does,
// the request is held until the relay sequences something or the wait ends.

import { sql, type Kysely } from 'kysely';
import { Type } from 'typebox';
import type { App } from '../server/app.ts';
import { armNotification, FEED_CHANNEL, type Notifier } from './notifier.ts';
import type { CloudEvent } from './envelope.ts';

export const FEED_PATH = '/_events';
export const FEED_MAX_WAIT_MS = 60_000;

export const FeedQuery = Type.Object({
  after: Type.Integer({ minimum: 0, default: 0, description: 'Return events after this position.' }),
  types: Type.Optional(
    Type.String({ description: 'Comma-separated event types; others are skipped (the position still moves past them).' }),
  ),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  waitMs: Type.Integer({
    minimum: 0,
    maximum: FEED_MAX_WAIT_MS,
    default: 0,
    description: 'Hold the request this long when nothing follows `after`.',
  }),
});

export interface FeedPage {
  /** CloudEvents with their position in the `sequence` extension. */
  events: CloudEvent[];
  /** Read up to here: the next request's `after` (moves past skipped types too). */
  position: number;
  /** The newest position in the feed when this page was read. */
  head: number;
}

export function registerFeedRoute(app: App, deps: { db: Kysely<any>; notifier: Notifier; closing: AbortSignal }): void {
  app.get(FEED_PATH, { schema: { querystring: FeedQuery, hide: true } }, async (req, reply) => {
    // Stop holding when the service shuts down or the reader hangs up. (Not AbortSignal.any: on
    // Node 20 the long-lived closing signal keeps every derived signal alive.)
    const gone = new AbortController();
    const hangUp = () => gone.abort();
    reply.raw.once('close', hangUp);
    deps.closing.addEventListener('abort', hangUp, { once: true });
    if (deps.closing.aborted) hangUp();
    const stop = gone.signal;
    try {
      return await serve(req.query, stop);
    } finally {
      deps.closing.removeEventListener('abort', hangUp);
    }
  });

  async function serve(
    query: { after: number; limit: number; waitMs: number; types?: string | undefined },
    stop: AbortSignal,
  ): Promise<FeedPage> {
    const { after, limit, waitMs } = query;
    const types = query.types
      ?.split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    const deadline = Date.now() + waitMs;
    for (;;) {
      // Listen before reading: a notification between the read and the wait must not be missed.
      const woken = armNotification(deps.notifier, FEED_CHANNEL, Math.max(0, deadline - Date.now()), stop);
      const page = await readFeed(deps.db, after, limit, types).catch((err: unknown) => {
        woken.cancel();
        throw err;
      });
      if (page.events.length > 0 || page.position > after || Date.now() >= deadline || stop.aborted) {
        woken.cancel();
        return page;
      }
      await woken.done;
      // Shutting down (the pool may close once the server stops) or nobody listening: answer without reading again.
      if (stop.aborted) return page;
    }
  }
}

export async function readFeed(db: Kysely<any>, after: number, limit: number, types?: readonly string[]): Promise<FeedPage> {
  const { rows: headRows } = await sql<{ head: number | null }>`select max(position) as head from souk_outbox`.execute(db);
  const head = headRows[0]?.head ?? 0;
  if (head <= after) return { events: [], position: after, head };
  const filter = types && types.length > 0 ? sql`and type = any(${types})` : sql``;
  const { rows } = await sql<{ position: number; envelope: CloudEvent }>`
    select position, envelope from souk_outbox
    where position > ${after} and position <= ${head} ${filter}
    order by position limit ${limit}`.execute(db);
  const events = rows.map((r) => ({ ...r.envelope, sequence: String(r.position) }));
  const position = rows.length === limit ? rows.at(-1)!.position : head;
  return { events, position, head };
}
