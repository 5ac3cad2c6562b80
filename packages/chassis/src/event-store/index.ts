// The event store's public surface, re-exported whole by the chassis index: what services use.
export { createEventStore } from './event-store.ts';
export type { EventStore, EventStoreOptions, ReadVia } from './event-store.ts';
export type { AggregateAppendOptions, AggregateDefinition, AggregateStore, Appended } from './aggregate.ts';
export type { ReadAllOptions, StreamRange } from './read.ts';
export { eventStoreErrors } from './errors.ts';
export { foldEvents } from './fold.ts';
export type {
  DomainEvent,
  EventMetadata,
  NewEvent,
  RecordedEvent,
  RecordedFields,
  ExpectedVersion,
  AppendOptions,
  AppendResult,
  Snapshot,
  Fold,
  LoadOptions,
  Loaded,
} from './types.ts';
