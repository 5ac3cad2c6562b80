// Appending to a stream inside the caller's transaction, with optimistic
// concurrency on the stream's version and global positions from the
// appending transaction itself (db/commit-order.ts, shared with the outbox):
// its transaction id times 4096 plus the event's rank in the transaction.
// Nothing is shared between appends of different streams, so they commit side
// by side; readAll serves only positions no open transaction can still commit
// below (read.ts), so a projection may keep the last position it read as its
// cursor. Positions increase along that order but leave gaps.

import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
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

  const moved = await moveStream(trx, streamId, expectedVersion, n, now, options.streamType);
  if (!moved) {
    const actual = await currentVersion(trx, streamId);
    throw eventStoreErrors.versionConflict({
      detail: `Stream ${streamId} is at version ${actual}, not the expected ${expectedVersion}.`,
      extensions: { streamId, expectedVersion, actualVersion: actual },
    });
  }

  const previousVersion = moved.version - n;
  const base = mergeMetadata(activeTraceMetadata(), options.metadata);
  const stored = events.map((event, i) => ({
    id: event.id ?? randomUUID(),
    version: previousVersion + i + 1,
    type: event.type,
    data: event.data ?? null,
    metadata: mergeMetadata(base, event.metadata),
  }));
  // One statement for the whole batch: a JSON array unpacked by the server, positions from this transaction.
  const { rows } = await sql<{ first: number }>`
    with k as (select ${firstCommitKey('souk_event', 'position', n)} as first),
    ins as (
      insert into souk_event (position, id, stream_id, version, type, data, metadata, recorded_at)
      select k.first + r.i - 1, (r.e->>'id')::uuid, ${streamId}, (r.e->>'version')::integer, r.e->>'type',
             r.e->'data', r.e->'metadata', ${moved.recordedAt}
      from k, jsonb_array_elements(${JSON.stringify(stored)}::jsonb) with ordinality as r(e, i))
    select first from k`.execute(trx);
  const firstPosition = Number(rows[0]!.first);
  const recorded = stored.map(
    (event, i) =>
      ({
        id: event.id,
        streamId,
        version: event.version,
        position: firstPosition + i,
        type: event.type,
        data: events[i]!.data,
        metadata: event.metadata,
        recordedAt: moved.recordedAt,
      }) as RecordedEvent<E>,
  );
  return { streamId, previousVersion, version: moved.version, events: recorded };
}

/**
 * Moves the stream's version by `n` if it is where the writer expects it;
 * undefined when it is not. A conditional update (not a failing insert) keeps
 * the caller's transaction usable, so it can reload and try again in it.
 * The events' time never goes back within a stream (a clock stepped back on
 * another instance), so "recorded at or before T" is always a prefix.
 */
async function moveStream(
  trx: Kysely<any>,
  streamId: string,
  expected: ExpectedVersion,
  n: number,
  now: Date,
  streamType: string | undefined,
): Promise<{ version: number; recordedAt: Date } | undefined> {
  type Row = { version: number; updated_at: Date };
  let rows: Row[];
  if (expected === 0) {
    ({ rows } = await sql<Row>`
      insert into souk_event_stream (stream_id, stream_type, version, created_at, updated_at)
      values (${streamId}, ${streamType ?? null}, ${n}, ${now}, ${now})
      on conflict (stream_id) do nothing
      returning version, updated_at`.execute(trx));
  } else if (expected === 'any') {
    ({ rows } = await sql<Row>`
      insert into souk_event_stream as s (stream_id, stream_type, version, created_at, updated_at)
      values (${streamId}, ${streamType ?? null}, ${n}, ${now}, ${now})
      on conflict (stream_id) do update set version = s.version + ${n}, updated_at = greatest(s.updated_at, ${now})
      returning version, updated_at`.execute(trx));
  } else {
    ({ rows } = await sql<Row>`
      update souk_event_stream set version = version + ${n}, updated_at = greatest(updated_at, ${now})
      where stream_id = ${streamId} and version = ${expected}
      returning version, updated_at`.execute(trx));
  }
  const row = rows[0];
  return row ? { version: Number(row.version), recordedAt: row.updated_at } : undefined;
}

/** The stream's version now; 0 when it does not exist. */
export async function currentVersion(db: Kysely<any>, streamId: string): Promise<number> {
  const { rows } = await sql<{ version: number }>`select version from souk_event_stream where stream_id = ${streamId}`.execute(
    db,
  );
  return rows[0] ? Number(rows[0].version) : 0;
}
