// The pure parts of the event store: folding events into state, when to take
// a snapshot, and which metadata an event is stored with.

import { context, propagation } from '@opentelemetry/api';
import type { EventMetadata, RecordedFields } from './types.ts';

export interface FoldStart<S> {
  state: S;
  version: number;
}

export interface Folded<S> {
  state: S;
  version: number;
  /** How many events were applied on top of the start. */
  applied: number;
}

/**
 * Applies `events` (in stream order, continuing `start`) with `evolve`. An
 * event out of place means the reads were wrong, so it throws rather than
 * building a state that never existed.
 */
export function foldEvents<S, R extends RecordedFields>(
  fold: { evolve: (state: S, event: R) => S },
  start: FoldStart<S>,
  events: readonly R[],
): Folded<S> {
  let { state, version } = start;
  for (const event of events) {
    if (event.version !== version + 1) {
      throw new Error(`stream ${event.streamId}: event version ${event.version} does not follow ${version}`);
    }
    state = fold.evolve(state, event);
    version = event.version;
  }
  return { state, version, applied: events.length };
}

/**
 * Whether an append that moved a stream from `previousVersion` to `version`
 * passed a multiple of `every` (so one append of many events snapshots once,
 * at its end, and a stream gets a snapshot about every `every` events
 * however its appends are sized). `every` <= 0 never snapshots.
 */
export function crossesSnapshotPoint(previousVersion: number, version: number, every: number | undefined): boolean {
  if (!every || every <= 0) return false;
  return Math.floor(version / every) > Math.floor(previousVersion / every);
}

/** The W3C trace context of the active span (the request that appends), as metadata. */
export function activeTraceMetadata(): EventMetadata {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  const out: EventMetadata = {};
  if (carrier.traceparent) out.traceparent = carrier.traceparent;
  if (carrier.tracestate) out.tracestate = carrier.tracestate;
  return out;
}

/** Trace context, then the append's metadata, then the event's own: later ones win. */
export function mergeMetadata(...parts: Array<EventMetadata | undefined>): EventMetadata {
  const out: EventMetadata = {};
  for (const part of parts) {
    if (!part) continue;
    for (const [key, value] of Object.entries(part)) if (value !== undefined) out[key] = value;
  }
  return out;
}

/** Checks an expected version before any I/O: a programming error is not a conflict. */
export function assertExpectedVersion(expected: number | 'any'): void {
  if (expected !== 'any' && (!Number.isInteger(expected) || expected < 0)) {
    throw new Error(`expected version must be a non-negative integer or 'any' (got ${String(expected)})`);
  }
}
