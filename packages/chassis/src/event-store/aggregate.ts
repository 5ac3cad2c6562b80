// One kind of event-sourced aggregate over the event store: load folds its
// stream into state, append writes the events a decision produced (expecting
// the version that was loaded) and snapshots every `snapshotEvery` events.

import type { Kysely, RawBuilder } from 'kysely';
import type { EventStore, ReadVia } from './event-store.ts';
import { crossesSnapshotPoint, foldEvents } from './fold.ts';
import { snapshotInsert } from './read.ts';
import type { AppendOptions, AppendResult, DomainEvent, Fold, Loaded, NewEvent, RecordedEvent } from './types.ts';

export interface AggregateDefinition<S, E extends DomainEvent> extends Fold<S, E> {
  /** Stored as the stream type of new streams (e.g. `payment`). */
  type: string;
  /** Take a snapshot whenever an append passes a multiple of this many events; 0 or unset: never. */
  snapshotEvery?: number;
  /** The shape of the state; bump it when the state changes shape, and older snapshots are ignored (default 1). */
  schemaVersion?: number;
}

/** An append's result with the state it led to. */
export interface Appended<S, E extends DomainEvent> extends AppendResult<E> {
  state: S;
  /** Whether this append stored a snapshot of `state`. */
  snapshotTaken: boolean;
}

/** An aggregate's append options: the store's, with writes along built from the outcome and the state it leads to. */
export interface AggregateAppendOptions<S, E extends DomainEvent> extends Omit<AppendOptions<E>, 'along'> {
  /**
   * Writes to make in the append's own statement, with no transaction around it (see AppendOptions.along):
   * built from the append as it will be (the events' `position` is 0 until the statement has run, so the
   * state is folded before it: an aggregate appended this way must not read `position` in `evolve`). Each
   * must write only when `moved` has a row. A snapshot due is written in the statement too.
   */
  along?: (appended: Appended<S, E>, moved: RawBuilder<unknown>) => RawBuilder<unknown>[];
}

export interface AggregateStore<S, E extends DomainEvent> {
  readonly definition: AggregateDefinition<S, E>;
  /** The aggregate's state now, or as of a time; `version` is what an append must expect. */
  load(streamId: string, options?: { asOf?: Date } & ReadVia): Promise<Loaded<S>>;
  /**
   * Appends `events` decided on `loaded` (expecting `loaded.version`; a
   * concurrent writer makes it throw SOUK_EVENT_STORE_VERSION_CONFLICT),
   * folds them into the new state and snapshots it when a snapshot point was
   * passed. Nothing is written for an empty list. With `options.along`, `db` may be the pool: the append,
   * its snapshot and the writes along are one statement.
   */
  append(
    db: Kysely<any>,
    loaded: Pick<Loaded<S>, 'streamId' | 'state' | 'version'>,
    events: readonly NewEvent<E>[],
    options?: AggregateAppendOptions<S, E>,
  ): Promise<Appended<S, E>>;
}

export function createAggregateStore<S, E extends DomainEvent>(
  store: EventStore,
  definition: AggregateDefinition<S, E>,
): AggregateStore<S, E> {
  const schemaVersion = definition.schemaVersion ?? 1;
  if (definition.snapshotEvery !== undefined && (!Number.isInteger(definition.snapshotEvery) || definition.snapshotEvery < 0)) {
    throw new Error(`snapshotEvery of ${definition.type} must be a non-negative integer (got ${definition.snapshotEvery})`);
  }
  return {
    definition,

    load: (streamId, options = {}) =>
      store.load<S, E>(streamId, {
        initial: definition.initial,
        evolve: definition.evolve,
        snapshots: { schemaVersion },
        ...(options.asOf ? { asOf: options.asOf } : {}),
        ...(options.db ? { db: options.db } : {}),
      }),

    async append(trx, loaded, events, options = {}) {
      if (events.length === 0) {
        return {
          streamId: loaded.streamId,
          previousVersion: loaded.version,
          version: loaded.version,
          events: [],
          state: loaded.state,
          snapshotTaken: false,
        };
      }
      const { along, ...appendOptions } = options;
      if (along) {
        let outcome: { state: S; snapshotTaken: boolean } | undefined;
        const result = await store.append<E>(trx, loaded.streamId, loaded.version, events, {
          streamType: definition.type,
          ...appendOptions,
          along: (recorded: RecordedEvent<E>[], moved: RawBuilder<unknown>) => {
            const { state } = foldEvents(definition, { state: loaded.state, version: loaded.version }, recorded);
            const version = loaded.version + recorded.length;
            const snapshotTaken = crossesSnapshotPoint(loaded.version, version, definition.snapshotEvery);
            outcome = { state, snapshotTaken };
            const appended: Appended<S, E> = {
              streamId: loaded.streamId,
              previousVersion: loaded.version,
              version,
              events: recorded,
              state,
              snapshotTaken,
            };
            const snapshot = snapshotTaken
              ? [
                  snapshotInsert(
                    { streamId: loaded.streamId, version, state, schemaVersion, takenAt: recorded[0]!.recordedAt },
                    moved,
                  ),
                ]
              : [];
            return [...snapshot, ...along(appended, moved)];
          },
        });
        return { ...result, ...outcome! };
      }
      const result = await store.append<E>(trx, loaded.streamId, loaded.version, events, {
        streamType: definition.type,
        ...appendOptions,
      });
      const { state } = foldEvents(definition, { state: loaded.state, version: loaded.version }, result.events);
      const snapshotTaken = crossesSnapshotPoint(result.previousVersion, result.version, definition.snapshotEvery);
      if (snapshotTaken)
        await store.saveSnapshot(trx, { streamId: loaded.streamId, version: result.version, state, schemaVersion });
      return { ...result, state, snapshotTaken };
    },
  };
}
