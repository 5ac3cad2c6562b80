// Reading the event store: one stream in version order, every stream in
// global (commit) order, the version a stream had at a time, and snapshots.

import { sql, type Kysely, type RawBuilder } from 'kysely';
import { readableBound } from '../db/commit-order.ts';
import type { DomainEvent, EventMetadata, RecordedEvent, Snapshot } from './types.ts';

interface EventRow {
  position: string | number;
  id: string;
  stream_id: string;
  version: number;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date;
}

function toRecorded<E extends DomainEvent>(row: EventRow): RecordedEvent<E> {
  return {
    id: row.id,
    streamId: row.stream_id,
    version: Number(row.version),
    position: Number(row.position),
    type: row.type,
    data: row.data,
    metadata: row.metadata ?? {},
    recordedAt: row.recorded_at,
  } as RecordedEvent<E>;
}

export interface StreamRange {
  /** First version to read (default 1). */
  fromVersion?: number;
  /** Last version to read, inclusive (default: the newest). */
  toVersion?: number;
  limit?: number;
}

export async function readStreamEvents<E extends DomainEvent>(
  db: Kysely<any>,
  streamId: string,
  range: StreamRange = {},
): Promise<RecordedEvent<E>[]> {
  const from = range.fromVersion ?? 1;
  const { rows } = await sql<EventRow>`
    select position, id, stream_id, version, type, data, metadata, recorded_at from souk_event
    where stream_id = ${streamId} and version >= ${from}
      ${range.toVersion !== undefined ? sql`and version <= ${range.toVersion}` : sql``}
    order by version
    ${range.limit !== undefined ? sql`limit ${range.limit}` : sql``}`.execute(db);
  return rows.map((r) => toRecorded<E>(r));
}

export interface ReadAllOptions {
  /** Read events after this global position (default 0: from the beginning). */
  after?: number;
  /** At most this many (default 1000). */
  limit?: number;
  /** Only events of these types. */
  types?: readonly string[];
  /**
   * Every event committed as of this read, including ones after a transaction that is still open
   * and may yet commit events with lower positions. Only for one pass inside a transaction that
   * keeps such writers out (a rebuild holding a lock they need), never for a cursor kept across
   * reads. Default false: only positions nothing can still commit below.
   */
  unsettled?: boolean;
}

/**
 * Events of every stream after a position, in position order, only up to the
 * readable bound (db/commit-order.ts): a reader that has seen position N never
 * later finds a committed event below N, so a projection may keep N as its
 * cursor. An event committed after a still-open transaction of this database
 * got its id is served once that transaction ends.
 */
export async function readAllEvents<E extends DomainEvent>(
  db: Kysely<any>,
  options: ReadAllOptions = {},
): Promise<RecordedEvent<E>[]> {
  const after = options.after ?? 0;
  const limit = options.limit ?? 1000;
  const types = options.types;
  const { rows } = await sql<EventRow>`
    select position, id, stream_id, version, type, data, metadata, recorded_at from souk_event
    where position > ${after}
      ${options.unsettled ? sql`` : sql`and position < ${readableBound('souk_event', 'position', { precise: true })}`}
      ${types && types.length > 0 ? sql`and type = any(${[...types]}::text[])` : sql``}
    order by position
    limit ${limit}`.execute(db);
  return rows.map((r) => toRecorded<E>(r));
}

/** The version of the stream's last event recorded at or before `asOf` (0 when none was). */
export async function versionAt(db: Kysely<any>, streamId: string, asOf: Date): Promise<number> {
  const { rows } = await sql<{ version: number | null }>`
    select max(version) as version from souk_event where stream_id = ${streamId} and recorded_at <= ${asOf}`.execute(db);
  return Number(rows[0]?.version ?? 0);
}

interface SnapshotRow {
  stream_id: string;
  version: number;
  schema_version: number;
  state: unknown;
  taken_at: Date;
}

/** The newest snapshot of `schemaVersion` at or below `maxVersion` (any version when omitted). */
export async function readSnapshot<S>(
  db: Kysely<any>,
  streamId: string,
  schemaVersion: number,
  maxVersion?: number,
): Promise<Snapshot<S> | undefined> {
  const { rows } = await sql<SnapshotRow>`
    select stream_id, version, schema_version, state, taken_at from souk_event_snapshot
    where stream_id = ${streamId} and schema_version = ${schemaVersion}
      ${maxVersion !== undefined ? sql`and version <= ${maxVersion}` : sql``}
    order by version desc limit 1`.execute(db);
  const row = rows[0];
  if (!row) return undefined;
  return {
    streamId: row.stream_id,
    version: Number(row.version),
    schemaVersion: Number(row.schema_version),
    state: row.state as S,
    takenAt: row.taken_at,
  };
}

/**
 * A stream's newest snapshot of `schemaVersion` (at or below `toVersion` when given) and the events after it
 * (up to `toVersion`), in one statement: one round trip and one snapshot of the database for both.
 */
export async function readSnapshotAndTail<S, E extends DomainEvent>(
  db: Kysely<any>,
  streamId: string,
  schemaVersion: number,
  toVersion?: number,
): Promise<{ snapshot: Snapshot<S> | undefined; tail: RecordedEvent<E>[] }> {
  const upTo = (column: string) => (toVersion !== undefined ? sql`and ${sql.ref(column)} <= ${toVersion}` : sql``);
  const { rows } = await sql<EventRow & { snapshot: boolean }>`
    with s as (
      select version, state, taken_at from souk_event_snapshot
      where stream_id = ${streamId} and schema_version = ${schemaVersion} ${upTo('version')}
      order by version desc limit 1)
    select true as snapshot, null::bigint as position, null::uuid as id, ${streamId}::text as stream_id, s.version,
           null::text as type, s.state as data, null::jsonb as metadata, s.taken_at as recorded_at from s
    union all
    select false, e.position, e.id, e.stream_id, e.version, e.type, e.data, e.metadata, e.recorded_at from souk_event e
    where e.stream_id = ${streamId} and e.version > coalesce((select version from s), 0) ${upTo('e.version')}
    order by version`.execute(db);
  const first = rows[0];
  const snapshot: Snapshot<S> | undefined = first?.snapshot
    ? {
        streamId,
        version: Number(first.version),
        schemaVersion,
        state: first.data as S,
        takenAt: first.recorded_at,
      }
    : undefined;
  return { snapshot, tail: (snapshot ? rows.slice(1) : rows).map((r) => toRecorded<E>(r)) };
}

/** Keeps a snapshot; one already kept for the same stream, version and schema stays (they are equal). */
export async function writeSnapshot(db: Kysely<any>, snapshot: Omit<Snapshot, 'takenAt'> & { takenAt?: Date }): Promise<void> {
  await snapshotInsert({ ...snapshot, takenAt: snapshot.takenAt ?? new Date() }).execute(db);
}

/** The statement that keeps a snapshot (only if `when`, a relation of the statement it is part of, has a row). */
export function snapshotInsert(snapshot: Snapshot, when?: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`
    insert into souk_event_snapshot (stream_id, version, schema_version, state, taken_at)
    select ${snapshot.streamId}, ${snapshot.version}, ${snapshot.schemaVersion}, ${JSON.stringify(snapshot.state)}::jsonb, ${snapshot.takenAt}
    ${when ? sql`where exists (select from ${when})` : sql``}
    on conflict do nothing`;
}
