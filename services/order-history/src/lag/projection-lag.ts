// How far behind the producers' events the read model is, per producer:
// position read, events handled, newest event time, events still waiting
// (the chassis' consumer-lag gauge, souk_event_consumer_lag) and lag in
// seconds; plus the latest rebuild's progress.

import type { Gauge, Registry } from '@souk/chassis';
import { sql } from 'kysely';
import { PRODUCERS, type ProducerLag, type ProjectionLag, type RebuildStatus } from '../../contract.ts';
import type { OrderHistoryDatabase } from '../db.ts';

export interface LagDeps {
  db: OrderHistoryDatabase;
  transport: 'feed' | 'nats';
  instanceId: string;
  metrics: Registry;
  now(): number;
}

interface ProgressRow {
  producer: string;
  events_handled: number;
  last_event_at: Date | null;
  target: number | null;
  caught_up_at: Date | null;
}

/** The whole picture (the lag endpoint). `rows: false` skips counting the read model (the list's summary). */
export async function projectionLag(deps: LagDeps, options: { rows?: boolean } = {}): Promise<ProjectionLag> {
  const [progress, cursors, pending, rebuild, rows] = await Promise.all([
    deps.db
      .selectFrom('projection_progress')
      .select(['producer', 'events_handled', 'last_event_at', 'target', 'caught_up_at'])
      .execute(),
    deps.transport === 'feed'
      ? sql<{
          producer: string;
          position: number;
          owner: string | null;
        }>`select producer, position, lease_owner as owner from souk_feed_cursor`
          .execute(deps.db)
          .then((r) => r.rows)
      : Promise.resolve([]),
    gaugeReadings(deps.metrics),
    deps.db.selectFrom('projection_rebuilds').selectAll().orderBy('started_at', 'desc').limit(1).executeTakeFirst(),
    options.rows === false ? Promise.resolve(0) : countRows(deps.db),
  ]);
  const producers = PRODUCERS.map((producer) =>
    producerLag(
      deps,
      producer,
      progress.find((p) => p.producer === producer),
      cursors.find((c) => c.producer === producer),
      pending.get(producer),
    ),
  );
  const known = producers.map((p) => p.lagSeconds).filter((s): s is number => s !== null);
  return {
    transport: deps.transport,
    lagSeconds: known.length > 0 ? Math.max(...known) : null,
    rows,
    producers,
    rebuild: rebuild ? rebuildStatus(rebuild, progress, rows) : null,
  };
}

export async function countRows(db: OrderHistoryDatabase): Promise<number> {
  const { n } = await db
    .selectFrom('order_views')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(n);
}

function producerLag(
  deps: LagDeps,
  producer: string,
  progress: ProgressRow | undefined,
  cursor: { position: number; owner: string | null } | undefined,
  gauge: number | undefined,
): ProducerLag {
  // The gauge is set by the instance that reads the stream: on the feed only the lease holder's is current.
  let pending = deps.transport === 'nats' || cursor?.owner === deps.instanceId ? (gauge ?? null) : null;
  // During a rebuild the gauge may still show the old, caught-up state: what is left to replay is pending too.
  const short = progress?.target != null && !progress.caught_up_at ? Math.max(0, progress.target - progress.events_handled) : 0;
  if (short > 0) pending = Math.max(pending ?? 0, short);
  const lastEventAt = progress?.last_event_at ?? null;
  let lagSeconds: number | null = null;
  if (pending === 0) lagSeconds = 0;
  else if (pending !== null && lastEventAt) lagSeconds = Math.max(0, Math.round(deps.now() - lastEventAt.getTime()) / 1000);
  return {
    producer,
    position: cursor?.position ?? null,
    eventsHandled: progress?.events_handled ?? 0,
    lastEventAt: lastEventAt?.toISOString() ?? null,
    pending,
    lagSeconds,
  };
}

/** The latest rebuild: done once every producer handled as many events as the old model had. */
function rebuildStatus(
  row: { id: string; requested_by: string | null; started_at: Date; rows_before: number },
  progress: readonly ProgressRow[],
  rows: number,
): RebuildStatus {
  const targeted = progress.filter((p) => p.target !== null);
  const done = targeted.every((p) => p.caught_up_at !== null);
  const finished = targeted.map((p) => p.caught_up_at?.getTime() ?? 0);
  return {
    id: row.id,
    state: done ? 'done' : 'running',
    requestedBy: row.requested_by,
    startedAt: row.started_at.toISOString(),
    finishedAt: done ? new Date(Math.max(row.started_at.getTime(), ...finished)).toISOString() : null,
    rowsBefore: row.rows_before,
    rows,
    producers: targeted.map((p) => ({ producer: p.producer, target: p.target!, handled: p.events_handled })),
  };
}

/** souk_event_consumer_lag by producer, as this instance last measured it. */
async function gaugeReadings(metrics: Registry): Promise<Map<string, number>> {
  const gauge = metrics.getSingleMetric('souk_event_consumer_lag') as Gauge<'producer'> | undefined;
  const readings = new Map<string, number>();
  if (!gauge) return readings;
  for (const { labels, value } of (await gauge.get()).values) {
    if (typeof labels.producer === 'string') readings.set(labels.producer, value);
  }
  return readings;
}
