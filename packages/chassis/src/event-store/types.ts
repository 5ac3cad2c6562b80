// The event store's public types: what goes into a stream, what comes out,
// snapshots, and the fold (initial + evolve) that turns a stream into state.

import type { RawBuilder } from 'kysely';

/** A domain event as the aggregate knows it: a type name and a JSON payload. */
export interface DomainEvent<T extends string = string, D = unknown> {
  type: T;
  data: D;
}

/**
 * What is stored beside an event. `traceparent`/`tracestate` default to the
 * active trace (the request that appended); `causationId` names what caused
 * the event (a command id, an incoming event id); `correlationId` groups a
 * whole conversation (an order id). Other keys are kept as given.
 */
export interface EventMetadata {
  traceparent?: string;
  tracestate?: string;
  causationId?: string;
  correlationId?: string;
  [key: string]: unknown;
}

/**
 * An event to append. For a union of events it is a union too, so `type`
 * and `data` stay paired: `{ type: 'Added', data: { n: 1 } }`.
 */
export type NewEvent<E extends DomainEvent = DomainEvent> = E extends DomainEvent
  ? {
      type: E['type'];
      data: E['data'];
      /** Merged over the append's metadata and the active trace context. */
      metadata?: EventMetadata;
      /** Event id; defaults to a random UUID. */
      id?: string;
    }
  : never;

/** Where an event sits and when it was recorded. */
export interface RecordedFields {
  id: string;
  streamId: string;
  /** 1-based position in its stream. */
  version: number;
  /**
   * Global position across every stream of this database, from the appending transaction
   * (db/commit-order.ts): increasing along the order readAll serves, with gaps. Events of one
   * append have consecutive positions.
   */
  position: number;
  metadata: EventMetadata;
  recordedAt: Date;
}

/**
 * An event as stored. For a union of events it is a union too: switching on
 * `event.type` narrows `event.data` (what an evolve function does).
 */
export type RecordedEvent<E extends DomainEvent = DomainEvent> = E extends DomainEvent
  ? RecordedFields & { type: E['type']; data: E['data'] }
  : never;

/**
 * The version a stream must be at for an append to succeed (optimistic
 * concurrency): 0 = the stream must not exist yet; 'any' skips the check.
 */
export type ExpectedVersion = number | 'any';

export interface AppendOptions<E extends DomainEvent = DomainEvent> {
  /** Stored with a new stream (e.g. `payment`), for operators and tools. */
  streamType?: string;
  /** Metadata for every event of this append (each event's own metadata wins). */
  metadata?: EventMetadata;
  /**
   * Writes to make in the append's own statement (an outbox write, a read model's row), built from the
   * events as they will be recorded (`position` is 0 until the statement has run). Each must write only
   * when `moved` (a relation of the statement) has a row: the stream was where the writer expected it.
   * One statement is atomic by itself, so an append with writes along needs no transaction around it.
   * Needs a numeric expected version.
   */
  along?: (events: RecordedEvent<E>[], moved: RawBuilder<unknown>) => RawBuilder<unknown>[];
}

export interface AppendResult<E extends DomainEvent = DomainEvent> {
  streamId: string;
  /** Version of the stream before the append. */
  previousVersion: number;
  /** Version of the stream after the append (its last event's version). */
  version: number;
  events: RecordedEvent<E>[];
}

/** The state of a stream at one version, kept so that loading need not replay every event. */
export interface Snapshot<S = unknown> {
  streamId: string;
  /** The version of the last event folded into `state`. */
  version: number;
  /** Plain JSON (it is stored as jsonb: Dates come back as strings). */
  state: S;
  /** The shape of `state`; a snapshot of another schema version is ignored. */
  schemaVersion: number;
  takenAt: Date;
}

/** How events turn into state: a pure left fold. */
export interface Fold<S, E extends DomainEvent = DomainEvent> {
  /** State of a stream without events. */
  initial: () => S;
  /** Applies one event; must not mutate `state` nor do I/O. */
  evolve: (state: S, event: RecordedEvent<E>) => S;
}

export interface LoadOptions<S, E extends DomainEvent = DomainEvent> extends Fold<S, E> {
  /** The state as of this time: events recorded at or before it only. */
  asOf?: Date;
  /** Use snapshots of this schema version (default 1); false: replay from the first event. */
  snapshots?: { schemaVersion: number } | false;
}

/** A stream folded into state. */
export interface Loaded<S> {
  streamId: string;
  state: S;
  /** Version of the last event folded in; 0 when the stream has none (at that time). */
  version: number;
  /** The snapshot the fold started from, if any. */
  snapshotVersion: number | undefined;
  /** Events folded on top of the snapshot (or of the initial state). */
  eventsApplied: number;
}
