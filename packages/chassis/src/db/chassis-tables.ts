// Row types of the chassis' own tables in every service database (created by
// chassis-migrations.ts), so that `ctx.db` is typed for them too.

import type { ColumnType, Generated, JSONColumnType, Kysely } from 'kysely';
import type { CloudEvent } from '../events/envelope.ts';

/** A column the database fills in (a default) unless the insert sets it. */
type Defaulted<T> = ColumnType<T, T | undefined, T>;

export interface OutboxTable {
  seq: Generated<number>;
  /** The row's place in the feed, from its transaction (db/commit-order.ts). */
  commit_key: number;
  /** With a broker: the event's number along the commit keys, given by the relay as it publishes. */
  position: number | null;
  id: string;
  type: string;
  envelope: JSONColumnType<CloudEvent>;
  created_at: Defaulted<Date>;
  published_at: Date | null;
}

export interface InboxTable {
  source: string;
  id: string;
  type: string;
  handled_at: Defaulted<Date>;
}

export interface FeedCursorTable {
  producer: string;
  /** The number of the producer's last event read (its CloudEvents `sequence`). */
  position: Defaulted<number>;
  /** The producer's commit key at position `commit_key_at` (stale once position moves without it). */
  commit_key: number | null;
  commit_key_at: number | null;
  lease_owner: string | null;
  lease_until: Date | null;
}

export interface EventFailureTable {
  source: string;
  id: string;
  attempts: number;
  last_error: string;
  updated_at: Defaulted<Date>;
}

export interface DeadLetterTable {
  dead_letter_id: Generated<number>;
  source: string;
  id: string;
  type: string;
  envelope: JSONColumnType<CloudEvent>;
  error: string;
  attempts: number;
  dead_at: Defaulted<Date>;
  redriven_at: Date | null;
}

export interface EventStreamTable {
  stream_id: string;
  stream_type: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface EventTable {
  /** Global position: the appending transaction's commit key (db/commit-order.ts). */
  position: number;
  id: string;
  stream_id: string;
  version: number;
  type: string;
  data: unknown;
  metadata: JSONColumnType<Record<string, unknown>, Record<string, unknown> | undefined>;
  recorded_at: Date;
}

export interface EventSnapshotTable {
  stream_id: string;
  version: number;
  schema_version: number;
  state: unknown;
  taken_at: Date;
}

export interface SagaTable {
  id: string;
  name: string;
  status: 'RUNNING' | 'COMPENSATING' | 'COMPLETED' | 'COMPENSATED' | 'PARKED';
  current_step: Defaulted<number>;
  state: JSONColumnType<Record<string, unknown>>;
  failure: JSONColumnType<Record<string, unknown> | null, Record<string, unknown> | null | undefined>;
  attempt: Defaulted<number>;
  step_deadline: Date | null;
  lease_owner: string | null;
  lease_until: Date | null;
  next_attempt_at: Defaulted<Date>;
  created_at: Defaulted<Date>;
  updated_at: Defaulted<Date>;
  finished_at: Date | null;
  runner_failures: Defaulted<number>;
  parked_from: 'RUNNING' | 'COMPENSATING' | null;
  group_done: Defaulted<string[]>;
}

export interface SagaLogTable {
  seq: Generated<number>;
  saga_id: string;
  kind: string;
  step: string | null;
  attempt: number | null;
  error_code: string | null;
  error_message: string | null;
  duration_ms: number | null;
  owner: string | null;
  at: Defaulted<Date>;
}

export interface JobTable {
  id: string;
  kind: string;
  job_key: string | null;
  payload: JSONColumnType<object>;
  status: 'PENDING' | 'DONE' | 'PARKED';
  attempts: Defaulted<number>;
  next_attempt_at: Defaulted<Date>;
  lease_owner: string | null;
  lease_until: Date | null;
  attempted_by: string | null;
  last_error: string | null;
  created_at: Defaulted<Date>;
  updated_at: Defaulted<Date>;
  finished_at: Date | null;
}

/** The chassis' tables, present in every service database beside the service's own. */
export interface ChassisTables {
  souk_outbox: OutboxTable;
  souk_inbox: InboxTable;
  souk_feed_cursor: FeedCursorTable;
  souk_event_failure: EventFailureTable;
  souk_dead_letter: DeadLetterTable;
  souk_event_stream: EventStreamTable;
  souk_event: EventTable;
  souk_event_snapshot: EventSnapshotTable;
  souk_saga: SagaTable;
  souk_saga_log: SagaLogTable;
  souk_job: JobTable;
}

/**
 * A service's database as its code sees it: its own tables (`DB`, from its `src/db.ts`)
 * and the chassis' (outbox, inbox, event store, sagas, jobs). `ctx.db`, the transactions event
 * handlers and saga steps get, and the stores' `db` parameters all have this type.
 */
export type ServiceDb<DB> = Kysely<DB & ChassisTables>;
