// The event store: event streams in the service's own database. Appends take
// the caller's transaction (so outbox events and read models commit with
// them); reads fold a stream into state from its newest usable snapshot.

import type { Kysely } from 'kysely';
import type { Clock } from '../service.ts';
import { appendToStream, currentVersion } from './append.ts';
import { createAggregateStore, type AggregateDefinition, type AggregateStore } from './aggregate.ts';
import { foldEvents } from './fold.ts';
import {
  readAllEvents,
  readSnapshot,
  readSnapshotAndTail,
  readStreamEvents,
  versionAt,
  writeSnapshot,
  type ReadAllOptions,
  type StreamRange,
} from './read.ts';
import type {
  AppendOptions,
  AppendResult,
  DomainEvent,
  ExpectedVersion,
  LoadOptions,
  Loaded,
  NewEvent,
  RecordedEvent,
  Snapshot,
} from './types.ts';

/** Where a read runs: the store's pool by default, or a transaction of the caller's. */
export interface ReadVia {
  db?: Kysely<any>;
}

export interface EventStore {
  /**
   * Appends `events` to `streamId` in `trx` (or, with `options.along`, in a statement of its own) if the stream is at
   * `expectedVersion` (0: the stream must not exist yet; 'any': no check).
   * Otherwise throws SOUK_EVENT_STORE_VERSION_CONFLICT (409, retryable) and
   * leaves `trx` usable. Append to one stream per transaction (the aggregate
   * is the unit of consistency) and commit soon after: readAll serves events
   * committed after this transaction began only once it has ended (see read.ts).
   */
  append<E extends DomainEvent>(
    trx: Kysely<any>,
    streamId: string,
    expectedVersion: ExpectedVersion,
    events: readonly NewEvent<E>[],
    options?: AppendOptions<E>,
  ): Promise<AppendResult<E>>;
  /** Events of one stream in version order. */
  readStream<E extends DomainEvent>(streamId: string, range?: StreamRange & ReadVia): Promise<RecordedEvent<E>[]>;
  /** Events of every stream after a global position, in position order, never one below a position served before (for projections). */
  readAll<E extends DomainEvent>(options?: ReadAllOptions & ReadVia): Promise<RecordedEvent<E>[]>;
  /** The stream's current version; 0 when it does not exist. */
  streamVersion(streamId: string, via?: ReadVia): Promise<number>;
  /**
   * Folds a stream into state: from the newest snapshot at or below the wanted
   * version, then the events after it. With `asOf`, the state as of that time:
   * events recorded at or before it, from a snapshot of a version no later.
   * `eventsApplied` in the answer tells how much was replayed.
   */
  load<S, E extends DomainEvent = DomainEvent>(streamId: string, options: LoadOptions<S, E> & ReadVia): Promise<Loaded<S>>;
  /** The newest snapshot of `schemaVersion` at or below `maxVersion`. */
  loadSnapshot<S>(
    streamId: string,
    options: { schemaVersion: number; maxVersion?: number } & ReadVia,
  ): Promise<Snapshot<S> | undefined>;
  /** Keeps a snapshot of a stream that exists (in the appending transaction, or any time later). */
  saveSnapshot<S>(db: Kysely<any>, snapshot: Omit<Snapshot<S>, 'takenAt'>): Promise<void>;
  /** A typed load/append pair for one kind of aggregate, snapshotting every `snapshotEvery` events. */
  aggregate<S, E extends DomainEvent>(definition: AggregateDefinition<S, E>): AggregateStore<S, E>;
}

export interface EventStoreOptions {
  /** Gives `recorded_at` and snapshot times; tests pass a fake one (default: the system clock). */
  clock?: Clock;
}

/** An event store over `db` (a service's `ctx.db`); its tables come with the chassis migrations. */
export function createEventStore(db: Kysely<any>, options: EventStoreOptions = {}): EventStore {
  const clock = options.clock ?? { now: Date.now };

  const store: EventStore = {
    append: (trx, streamId, expectedVersion, events, appendOptions) =>
      appendToStream(trx, new Date(clock.now()), streamId, expectedVersion, events, appendOptions),

    readStream: (streamId, range = {}) => readStreamEvents(range.db ?? db, streamId, range),

    readAll: (readOptions = {}) => readAllEvents(readOptions.db ?? db, readOptions),

    streamVersion: (streamId, via = {}) => currentVersion(via.db ?? db, streamId),

    async load<S, E extends DomainEvent>(streamId: string, loadOptions: LoadOptions<S, E> & ReadVia): Promise<Loaded<S>> {
      const via = loadOptions.db ?? db;
      let target: number | undefined;
      if (loadOptions.asOf) {
        target = await versionAt(via, streamId, loadOptions.asOf);
        if (target === 0)
          return { streamId, state: loadOptions.initial(), version: 0, snapshotVersion: undefined, eventsApplied: 0 };
      }
      // Snapshot and the events after it in one statement (a load is one round trip).
      const { snapshot, tail } =
        loadOptions.snapshots === false
          ? {
              snapshot: undefined,
              tail: await readStreamEvents<E>(via, streamId, target !== undefined ? { toVersion: target } : {}),
            }
          : await readSnapshotAndTail<S, E>(via, streamId, loadOptions.snapshots?.schemaVersion ?? 1, target);
      const start = snapshot
        ? { state: snapshot.state, version: snapshot.version }
        : { state: loadOptions.initial(), version: 0 };
      const folded = foldEvents(loadOptions, start, tail);
      return {
        streamId,
        state: folded.state,
        version: folded.version,
        snapshotVersion: snapshot?.version,
        eventsApplied: folded.applied,
      };
    },

    loadSnapshot: (streamId, { schemaVersion, maxVersion, db: via }) =>
      readSnapshot(via ?? db, streamId, schemaVersion, maxVersion),

    saveSnapshot: (trx, snapshot) => writeSnapshot(trx, { ...snapshot, takenAt: new Date(clock.now()) }),

    aggregate: (definition) => createAggregateStore(store, definition),
  };
  return store;
}
