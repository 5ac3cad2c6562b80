// Appending to a stream inside the caller's transaction, with optimistic
// concurrency on the stream's version and global positions in commit order.
//
// Why positions come from a one-row counter and not a bigserial: sequence
// values are taken when a transaction inserts, not when it commits, so a
// reader could see position 8 committed while 7 is still in flight, move its
// cursor past 7 and never see it. Here an append first updates the counter
// row, and the row lock is held until the transaction ends: the next append
// waits, so positions are handed out in commit order, and a rolled-back append
// gives its numbers back. The price is that appends in one database commit one
// after another (from the append to the commit): keep those transactions
// short, with no remote calls after the append. The outbox relay (events/relay.ts)
// shows the other way, positions given after commit, for write-heavy tables.

import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
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

  // The counter first: every append takes it before any stream row, so two
  // appends never hold locks in opposite orders (no deadlock between them).
  const { rows: counter } = await sql<{ position: string | number }>`
    update souk_event_position set position = position + ${n} where id = 1 returning position`.execute(trx);
  const lastPosition = Number(counter[0]!.position);

  const moved = await moveStream(trx, streamId, expectedVersion, n, now, options.streamType);
  if (!moved) {
    // Nobody else can have moved the counter since: this transaction holds its lock.
    await sql`update souk_event_position set position = position - ${n} where id = 1`.execute(trx);
    const actual = await currentVersion(trx, streamId);
    throw eventStoreErrors.versionConflict({
      detail: `Stream ${streamId} is at version ${actual}, not the expected ${expectedVersion}.`,
      extensions: { streamId, expectedVersion, actualVersion: actual },
    });
  }

  const previousVersion = moved.version - n;
  const firstPosition = lastPosition - n + 1;
  const base = mergeMetadata(activeTraceMetadata(), options.metadata);
  const recorded = events.map(
    (event, i) =>
      ({
        id: event.id ?? randomUUID(),
        streamId,
        version: previousVersion + i + 1,
        position: firstPosition + i,
        type: event.type,
        data: event.data,
        metadata: mergeMetadata(base, event.metadata),
        recordedAt: moved.recordedAt,
      }) as RecordedEvent<E>,
  );
  // One statement for the whole batch: a JSON array unpacked by the server.
  const rows = recorded.map((e) => ({
    position: e.position,
    id: e.id,
    version: e.version,
    type: e.type,
    data: e.data ?? null,
    metadata: e.metadata,
  }));
  await sql`
    insert into souk_event (position, id, stream_id, version, type, data, metadata, recorded_at)
    select (r->>'position')::bigint, (r->>'id')::uuid, ${streamId}, (r->>'version')::integer, r->>'type',
           r->'data', r->'metadata', ${moved.recordedAt}
    from jsonb_array_elements(${JSON.stringify(rows)}::jsonb) as r`.execute(trx);
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
