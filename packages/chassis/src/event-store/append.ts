// Appending to a stream inside the caller's transaction, with optimistic
// concurrency on the stream's version and global positions from the
// appending transaction itself (db/commit-order.ts, shared with the outbox):
// its transaction id times 4096 plus the event's rank in the transaction.
// Nothing is shared between appends of different streams, so they commit side
// by side; readAll serves only positions no open transaction can still commit
// below (read.ts), so a projection may keep the last position it read as its
// cursor. Positions increase along that order but leave gaps.

import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { firstCommitKey } from '../db/commit-order.ts';
import { eventStoreErrors } from './errors.ts';
import { activeTraceMetadata, assertExpectedVersion, mergeMetadata } from './fold.ts';
import type { AppendOptions, AppendResult, DomainEvent, ExpectedVersion, NewEvent, RecordedEvent } from './types.ts';

export async function appendToStream<E extends DomainEvent>(
  trx: Kysely<any>,
  now: Date,
  streamId: string,
  expectedVersion: ExpectedVersion,
  events: readonly NewEvent<E>[],
  options: AppendOptions = {},
): Promise<AppendResult<E>> {
  if (!trx.isTransaction) {
    throw new Error(
      `append to ${streamId} needs the caller's transaction (db.transaction().execute(trx => ...)), so its outbox events commit with it`,
    );
  }
  assertExpectedVersion(expectedVersion);
  if (events.length === 0) throw new Error(`append to ${streamId} needs at least one event`);
  const n = events.length;

  const base = mergeMetadata(activeTraceMetadata(), options.metadata);
  const stored = events.map((event) => ({
    id: event.id ?? randomUUID(),
    type: event.type,
    data: event.data ?? null,
    metadata: mergeMetadata(base, event.metadata),
  }));
  // One statement: the stream moved if it is at the expected version, and the events inserted after it (a JSON
  // array unpacked by the server, versions from the moved stream, positions from this transaction). Nothing is
  // inserted when the stream was not where the writer expected it.
  const { rows } = await sql<{ version: number; recorded_at: Date; first: number }>`
    with m as (${moveStream(streamId, expectedVersion, n, now, options.streamType)}),
    k as (select ${firstCommitKey('souk_event', 'position', n)} as first),
    ins as (
      insert into souk_event (position, id, stream_id, version, type, data, metadata, recorded_at)
      select k.first + r.i - 1, (r.e->>'id')::uuid, ${streamId}, m.version - ${n} + r.i::integer, r.e->>'type',
             r.e->'data', r.e->'metadata', m.updated_at
      from m, k, jsonb_array_elements(${JSON.stringify(stored)}::jsonb) with ordinality as r(e, i))
    select m.version, m.updated_at as recorded_at, k.first from m, k`.execute(trx);
  const moved = rows[0];
  if (!moved) {
    const actual = await currentVersion(trx, streamId);
    throw eventStoreErrors.versionConflict({
      detail: `Stream ${streamId} is at version ${actual}, not the expected ${expectedVersion}.`,
      extensions: { streamId, expectedVersion, actualVersion: actual },
    });
  }
  const version = Number(moved.version);
  const previousVersion = version - n;
  const firstPosition = Number(moved.first);
  const recorded = stored.map(
    (event, i) =>
      ({
        id: event.id,
        streamId,
        version: previousVersion + i + 1,
        position: firstPosition + i,
        type: event.type,
        data: events[i]!.data,
        metadata: event.metadata,
        recordedAt: moved.recorded_at,
      }) as RecordedEvent<E>,
  );
  return { streamId, previousVersion, version, events: recorded };
}

/**
 * The statement that moves the stream's version by `n` if it is where the writer expects it, returning
 * `version` and `updated_at`; no row when it is not. A conditional update (not a failing insert) keeps the
 * caller's transaction usable, so it can reload and try again in it. The events' time never goes back within
 * a stream (a clock stepped back on another instance), so "recorded at or before T" is always a prefix.
 */
function moveStream(
  streamId: string,
  expected: ExpectedVersion,
  n: number,
  now: Date,
  streamType: string | undefined,
): RawBuilder<unknown> {
  if (expected === 0) {
    return sql`
      insert into souk_event_stream (stream_id, stream_type, version, created_at, updated_at)
      values (${streamId}, ${streamType ?? null}, ${n}, ${now}, ${now})
      on conflict (stream_id) do nothing
      returning version, updated_at`;
  }
  if (expected === 'any') {
    return sql`
      insert into souk_event_stream as s (stream_id, stream_type, version, created_at, updated_at)
      values (${streamId}, ${streamType ?? null}, ${n}, ${now}, ${now})
      on conflict (stream_id) do update set version = s.version + ${n}, updated_at = greatest(s.updated_at, ${now})
      returning version, updated_at`;
  }
  return sql`
    update souk_event_stream set version = version + ${n}, updated_at = greatest(updated_at, ${now})
    where stream_id = ${streamId} and version = ${expected}
    returning version, updated_at`;
}

/** The stream's version now; 0 when it does not exist. */
export async function currentVersion(db: Kysely<any>, streamId: string): Promise<number> {
  const { rows } = await sql<{ version: number }>`select version from souk_event_stream where stream_id = ${streamId}`.execute(
    db,
  );
  return rows[0] ? Number(rows[0].version) : 0;
}
