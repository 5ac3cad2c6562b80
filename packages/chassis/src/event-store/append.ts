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

/** The most an append retries when the stream's last event is later than its clock (another instance's is ahead). */
const CLOCK_RETRIES = 3;

export async function appendToStream<E extends DomainEvent>(
  db: Kysely<any>,
  now: Date,
  streamId: string,
  expectedVersion: ExpectedVersion,
  events: readonly NewEvent<E>[],
  options: AppendOptions<E> = {},
): Promise<AppendResult<E>> {
  const { along } = options;
  if (!db.isTransaction && !along) {
    throw new Error(
      `append to ${streamId} needs the caller's transaction (db.transaction().execute(trx => ...)), so its outbox events commit with it`,
    );
  }
  assertExpectedVersion(expectedVersion);
  if (along && expectedVersion === 'any') throw new Error(`append to ${streamId} with writes along needs an expected version`);
  if (events.length === 0) throw new Error(`append to ${streamId} needs at least one event`);
  const n = events.length;

  const base = mergeMetadata(activeTraceMetadata(), options.metadata);
  const stored = events.map((event) => ({
    id: event.id ?? randomUUID(),
    type: event.type,
    data: event.data ?? null,
    metadata: mergeMetadata(base, event.metadata),
  }));
  // The events' time is this clock's, never earlier than the stream's last event (a clock stepped back on
  // another instance), so "recorded at or before T" is always a prefix; it is known before the statement,
  // so writes along with the append can carry it.
  for (let at = now, attempt = 0; ; attempt++) {
    const previousVersion = typeof expectedVersion === 'number' ? expectedVersion : 0;
    const recorded = stored.map(
      (event, i) =>
        ({
          id: event.id,
          streamId,
          version: previousVersion + i + 1,
          // Known once the statement has run (its transaction gives it).
          position: 0,
          type: event.type,
          data: events[i]!.data,
          metadata: event.metadata,
          recordedAt: at,
        }) as RecordedEvent<E>,
    );
    const writes = along ? along(recorded, sql`m`) : [];
    // One statement: the stream moved if it is at the expected version, and the events inserted after it (a JSON
    // array unpacked by the server, versions from the moved stream, positions from this transaction), and the
    // writes along with them, which read `m`. Nothing is written when the stream was not where the writer expected it.
    const { rows } = await sql<{ version: number; first: number }>`
      with m as (${moveStream(streamId, expectedVersion, n, at, options.streamType)}),
      k as (select ${firstCommitKey('souk_event', 'position', n)} as first),
      ins as (
        insert into souk_event (position, id, stream_id, version, type, data, metadata, recorded_at)
        select k.first + r.i - 1, (r.e->>'id')::uuid, ${streamId}, m.version - ${n} + r.i::integer, r.e->>'type',
               r.e->'data', r.e->'metadata', ${at}
        from m, k, jsonb_array_elements(${JSON.stringify(stored)}::jsonb) with ordinality as r(e, i))
      ${sql.join(
        writes.map((write, i) => sql`, ${sql.id(`along_${i}`)} as (${write})`),
        sql.raw(''),
      )}
      select m.version, k.first from m, k`.execute(db);
    const moved = rows[0];
    if (moved) {
      const version = Number(moved.version);
      const firstPosition = Number(moved.first);
      recorded.forEach((event, i) => {
        Object.assign(event, { version: version - n + i + 1, position: firstPosition + i });
      });
      return { streamId, previousVersion: version - n, version, events: recorded };
    }
    const head = await streamHead(db, streamId);
    const conflict = expectedVersion === 0 ? head.version > 0 : expectedVersion !== 'any' && head.version !== expectedVersion;
    if (conflict || attempt >= CLOCK_RETRIES || !head.updatedAt) {
      throw eventStoreErrors.versionConflict({
        detail: `Stream ${streamId} is at version ${head.version}, not the expected ${expectedVersion}.`,
        extensions: { streamId, expectedVersion, actualVersion: head.version },
      });
    }
    // At the expected version, but its last event is later than this clock: record at that event's time.
    at = head.updatedAt > at ? head.updatedAt : at;
  }
}

/**
 * The statement that moves the stream's version by `n` if it is where the writer expects it and its last
 * event was recorded at or before `at`, returning `version`; no row when it is not. A conditional update (not
 * a failing insert) keeps the caller's transaction usable, so it can reload and try again in it.
 */
function moveStream(
  streamId: string,
  expected: ExpectedVersion,
  n: number,
  at: Date,
  streamType: string | undefined,
): RawBuilder<unknown> {
  if (expected === 0) {
    return sql`
      insert into souk_event_stream (stream_id, stream_type, version, created_at, updated_at)
      values (${streamId}, ${streamType ?? null}, ${n}, ${at}, ${at})
      on conflict (stream_id) do nothing
      returning version`;
  }
  if (expected === 'any') {
    return sql`
      insert into souk_event_stream as s (stream_id, stream_type, version, created_at, updated_at)
      values (${streamId}, ${streamType ?? null}, ${n}, ${at}, ${at})
      on conflict (stream_id) do update set version = s.version + ${n}, updated_at = ${at} where s.updated_at <= ${at}
      returning version`;
  }
  return sql`
    update souk_event_stream set version = version + ${n}, updated_at = ${at}
    where stream_id = ${streamId} and version = ${expected} and updated_at <= ${at}
    returning version`;
}

/** The stream's version now; 0 when it does not exist. */
export async function currentVersion(db: Kysely<any>, streamId: string): Promise<number> {
  const { rows } = await sql<{ version: number }>`select version from souk_event_stream where stream_id = ${streamId}`.execute(
    db,
  );
  return rows[0] ? Number(rows[0].version) : 0;
}

/** The stream's version and its last event's time; version 0 when it does not exist. */
async function streamHead(db: Kysely<any>, streamId: string): Promise<{ version: number; updatedAt: Date | undefined }> {
  const { rows } = await sql<{ version: number; updated_at: Date }>`
    select version, updated_at from souk_event_stream where stream_id = ${streamId}`.execute(db);
  return rows[0] ? { version: Number(rows[0].version), updatedAt: rows[0].updated_at } : { version: 0, updatedAt: undefined };
}
