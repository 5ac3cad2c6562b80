// Handing one event to its handler, the same way for every transport: the
// handler runs in a transaction that also records the event in the inbox (a
// redelivered event finds itself there and is skipped) and, in the same
// statement, does the transport's bookkeeping (the feed moves its cursor, NATS
// checks its lease). A failure is counted; after maxAttempts the event is
// parked in the dead-letter list with its error and the stream moves on.

import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Tracer } from '@opentelemetry/api';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Logger } from 'pino';
import type { Static, TObject } from 'typebox';
import type { ServiceDb } from '../db/chassis-tables.ts';
import type { EventContract } from './contract.ts';
import { traceContextOf, type CloudEvent } from './envelope.ts';
import type { EventMetrics } from './event-metrics.ts';
import { REPLAY_LOCK } from './replay.ts';
import { recordUnsampledFailure } from '../tracing.ts';
import { handlerContext, SharedWork } from './shared-work.ts';

export interface ReceivedEvent<T> {
  id: string;
  source: string;
  type: string;
  subject?: string;
  time: string;
  /** The payload, checked against the consumer's contract. */
  data: T;
  envelope: CloudEvent;
}

/** `DB`: the service's own tables (from its db.ts), beside the chassis' in `db`. */
export interface HandlerContext<DB = object> {
  /** The transaction the inbox record commits in: write the handler's effects through it. */
  db: ServiceDb<DB>;
  log: Logger;
  /**
   * State shared by the handlers of this transaction (one event, or a page or batch of them), created
   * by the first that asks for `key`; `flush` runs once, after the last handler, before the commit.
   * Per-event bookkeeping added here is written once per page instead of once per event.
   */
  shared<T>(key: string, create: () => T, flush: (state: T, db: ServiceDb<DB>) => Promise<void>): T;
}

export type EventHandler<T, DB = object> = (event: ReceivedEvent<T>, tx: HandlerContext<DB>) => Promise<void>;

/** Held by the event layer whatever tables the handler writes (it hands every handler the same transaction). */
export interface Subscription<S extends TObject = TObject> {
  contract: EventContract<S>;
  handler: EventHandler<Static<S>, any>;
}

export type Outcome =
  | { kind: 'handled' | 'duplicate' | 'ignored' | 'dead-lettered' }
  | { kind: 'retry'; delayMs: number; error: string }
  /** The transport's extra step in the transaction refused (the feed lease moved to another instance). */
  | { kind: 'lost' };

/**
 * The transport's bookkeeping in the handler's transaction (the feed's cursor, the NATS lease): an
 * UPDATE of its lease row, without RETURNING, with `guard` among its conditions, that matches no row
 * once this instance no longer holds the lease; the transaction then rolls back as 'lost'. Where
 * the transaction records events in the inbox it runs inside that statement (one round trip fewer
 * per page), with a guard that makes it wait for the statement's locks; elsewhere on its own.
 */
export type Within = (guard: RawBuilder<unknown>) => RawBuilder<unknown>;

/** `within` as a statement of its own in `trx`: false when it matched no row (the lease moved). */
async function runWithin(trx: Kysely<any>, within: Within): Promise<boolean> {
  const res = await within(sql`true`).execute(trx);
  return Number(res.numAffectedRows ?? 0) > 0;
}

export interface HandlingOptions {
  db: Kysely<any>;
  log: Logger;
  tracer: Tracer;
  metrics: EventMetrics;
  subscriptions: ReadonlyMap<string, Subscription>;
  maxAttempts: number;
  retryDelayMs(attempt: number): number;
  /** A handler (with its transaction) taking longer counts as a failed attempt; also each statement's timeout. */
  handlerTimeoutMs: number;
  /** Fails the handling of an event type on purpose (the faults setting): thrown as the handler would throw. */
  fault?: (type: string) => Error | undefined;
}

class LeaseLost extends Error {}

function consumerAttributes(event: CloudEvent): Attributes {
  return {
    'messaging.operation.type': 'process',
    'messaging.message.id': event.id,
    'messaging.destination.name': event.type,
  };
}

class HandlerTimeout extends Error {
  constructor(ms: number) {
    super(`the handler did not finish within ${ms} ms`);
    this.name = 'HandlerTimeout';
  }
}

/**
 * Stops waiting for a hung handler after `ms`, so the stream is not blocked for
 * good. The transaction itself is left to finish or fail on its own (each of
 * its statements has the same timeout): rolling it back under a handler that
 * still runs would let that handler's next query escape the transaction.
 */
function withDeadline<T>(work: Promise<T>, ms: number, onLate?: (settled: Promise<unknown>) => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onLate?.(work.catch(() => undefined));
      reject(new HandlerTimeout(ms));
    }, ms);
  });
  work.catch(() => undefined); // a late failure after the deadline is not an unhandled rejection
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export interface Handling {
  deliver(event: CloudEvent, within?: Within): Promise<Outcome>;
  /**
   * Several events in one transaction: one inbox statement for all of them
   * that also runs `within` (the feed's cursor), then the handlers of the new
   * ones in order.
   * All or nothing: 'fallback' when one of them fails or is not fit for it,
   * and the caller then delivers them one by one, which counts failures and
   * dead-letters. Events of types without a handler are skipped.
   */
  deliverBatch(events: readonly CloudEvent[], within?: Within): Promise<'handled' | 'fallback' | 'lost'>;
  /** For redrive: handle now, whatever the failure count; throws the handler's error. */
  handleNow(event: CloudEvent): Promise<'handled' | 'duplicate'>;
  /** Parks what arrived but cannot be handled at all (not a CloudEvent), so an operator sees it. */
  parkUndeliverable(event: CloudEvent, error: string): Promise<void>;
}

export function createHandling(o: HandlingOptions): Handling {
  const { db, metrics } = o;
  // Events whose handler is still running past its deadline. Each such run holds a database
  // connection until it returns; starting yet another attempt would hold one more, so the event
  // is parked instead, and one hung handler costs one connection, not one per attempt.
  const stillRunning = new Set<string>();

  /**
   * Records `events` in the inbox with one statement and returns the ones that were not there yet
   * (as `source id`); clears their earlier failures. Both roll back if a handler fails.
   * The same statement runs `within` (the cursor moved to the end of the page, or the lease fence):
   * its result is known before the handlers run, and it commits or rolls back with them. Its guard
   * reads `limits`, so its row lock comes after the replay lock, in the order a replay takes them
   * (no deadlock); the row stays locked until the commit, so the lease cannot change hands meanwhile.
   * Throws LeaseLost when it matched nothing: the caller rolls back before any handler ran.
   * For the rest of the transaction: a statement (waiting on another instance's inbox row lock
   * for the same event, say) and a pause between statements (a handler hung on a call) are
   * bounded by the handler timeout; PostgreSQL ends a session left idle in its transaction,
   * which releases its locks, so a hung handler cannot block the stream for good.
   * The shared replay lock: a replay (replay.ts) waits for handlers in flight and holds new ones
   * back while it rewinds, so no handler's effect slips between the reset and the rewound stream.
   * When every event was there already, nothing but bookkeeping (the cursor) commits, so the
   * commit does not wait for its WAL flush (synchronous_commit off): losing it redelivers events
   * the inbox drops again.
   */
  async function recordInbox(trx: Kysely<any>, events: readonly CloudEvent[], within?: Within): Promise<Set<string>> {
    const limit = String(o.handlerTimeoutMs);
    const { rows } = await sql<{ fresh: string[]; moved: boolean }>`
      with limits as (select set_config('statement_timeout', ${limit}, true) as s,
                             set_config('idle_in_transaction_session_timeout', ${limit}, true) as i,
                             pg_advisory_xact_lock_shared(${REPLAY_LOCK}) as r),
           events as (select * from unnest(${events.map((e) => e.source)}::text[], ${events.map((e) => e.id)}::text[],
                                           ${events.map((e) => e.type)}::text[]) with ordinality as e(source, id, type, i)),
           cleared as (delete from souk_event_failure f using events e where f.source = e.source and f.id = e.id),
           fresh as (insert into souk_inbox (source, id, type) select e.source, e.id, e.type from events e, limits order by e.i
                     on conflict do nothing returning source, id)
           ${within ? sql`, moved as (${within(sql`exists (select from limits)`)} returning 1)` : sql``}
      select coalesce(array_agg(f.source || ' ' || f.id), '{}') as fresh,
             (select set_config('synchronous_commit', 'off', true) where not exists (select from fresh)) as bookkeeping_only,
             ${within ? sql`exists (select from moved)` : sql`true`} as moved
      from fresh f`.execute(trx);
    if (!rows[0]?.moved) throw new LeaseLost();
    return new Set(rows[0].fresh);
  }

  /** Runs `work` under a consumer span continuing the producer's trace. */
  async function traced(event: CloudEvent, work: () => Promise<'handled' | 'duplicate'>): Promise<'handled' | 'duplicate'> {
    // Sampled as the producer's request was (the event's traceparent flag); a failure is traced either way.
    const startTime = Date.now();
    const span = o.tracer.startSpan(`${event.type} process`, { kind: SpanKind.CONSUMER }, traceContextOf(event));
    if (span.isRecording()) span.setAttributes(consumerAttributes(event));
    try {
      const outcome = await context.with(trace.setSpan(context.active(), span), work);
      span.setAttribute('souk.event.outcome', outcome);
      return outcome;
    } catch (err) {
      if (err instanceof LeaseLost) throw err; // not the handler's failure: nothing of it committed
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      recordUnsampledFailure(o.tracer, span, `${event.type} process`, {
        kind: SpanKind.CONSUMER,
        startTime,
        attributes: consumerAttributes(event),
        error: err,
      });
      throw err;
    } finally {
      span.end();
    }
  }

  /** The handler of a fresh event, in `trx`. */
  async function runIn(trx: Kysely<any>, shared: SharedWork, event: CloudEvent, sub: Subscription, data: unknown): Promise<void> {
    const log = () => o.log.child({ event_id: event.id, event_type: event.type });
    const fault = o.fault?.(event.type);
    if (fault) throw fault;
    await sub.handler(received(event, data) as ReceivedEvent<never>, handlerContext(trx, log, shared));
  }

  /** Inbox record (and `within`) and handler of one event inside `trx`, then what the handler left to write once. */
  function handleIn(
    trx: Kysely<any>,
    event: CloudEvent,
    sub: Subscription,
    data: unknown,
    within: Within | undefined,
  ): Promise<'handled' | 'duplicate'> {
    return traced(event, async () => {
      if (!(await recordInbox(trx, [event], within)).has(keyOf(event))) return 'duplicate';
      const shared = new SharedWork();
      await runIn(trx, shared, event, sub, data);
      await shared.flush(trx);
      return 'handled';
    });
  }

  /** Counts what a committed transaction handled. */
  function committed(event: CloudEvent, result: 'handled' | 'duplicate', started: number): void {
    if (result === 'duplicate') return void metrics.duplicates.inc({ type: event.type });
    metrics.handled.inc({ type: event.type });
    metrics.handleDuration.observe({ type: event.type }, (performance.now() - started) / 1000);
    const age = (Date.now() - Date.parse(event.time)) / 1000;
    if (Number.isFinite(age) && age >= 0) metrics.deliveryLatency.observe({ type: event.type }, age);
  }

  async function runHandler(
    event: CloudEvent,
    sub: Subscription,
    data: unknown,
    within?: Within,
  ): Promise<'handled' | 'duplicate'> {
    const started = performance.now();
    const key = keyOf(event);
    const result = await withDeadline(
      db.transaction().execute((trx) => handleIn(trx, event, sub, data, within)),
      o.handlerTimeoutMs,
      (settled) => {
        stillRunning.add(key);
        void settled.finally(() => stillRunning.delete(key));
      },
    );
    committed(event, result, started);
    return result;
  }

  async function park(event: CloudEvent, error: string, attempts: number, within?: Within): Promise<Outcome> {
    const ok = await db.transaction().execute(async (trx) => {
      if (within && !(await runWithin(trx, within))) return false;
      await sql`
        insert into souk_dead_letter (source, id, type, envelope, error, attempts)
        values (${event.source}, ${event.id}, ${event.type}, ${JSON.stringify(event)}::jsonb, ${error}, ${attempts})
        on conflict (source, id) do update set error = excluded.error, attempts = excluded.attempts, dead_at = now(), redriven_at = null`.execute(
        trx,
      );
      await sql`delete from souk_event_failure where source = ${event.source} and id = ${event.id}`.execute(trx);
      return true;
    });
    if (!ok) return { kind: 'lost' };
    metrics.deadLettered.inc({ type: event.type });
    o.log.error({ event_id: event.id, event_type: event.type, attempts, error }, 'event dead-lettered');
    return { kind: 'dead-lettered' };
  }

  return {
    async deliver(event, within) {
      const sub = o.subscriptions.get(event.type);
      if (!sub) {
        // Not ours (a feed or stream carries every type of its producer): just move past it.
        if (within && !(await db.transaction().execute((trx) => runWithin(trx, within)))) return { kind: 'lost' };
        return { kind: 'ignored' };
      }
      const checked = sub.contract.check(event.data);
      if (!checked.ok) {
        // Redelivery cannot fix a payload: park it at once, with the reasons.
        metrics.failed.inc({ type: event.type });
        const issues = checked.issues.map((i) => `${i.instancePath || '/'} ${i.message}`).join('; ');
        return park(event, `payload does not match the ${sub.contract.name} contract: ${issues}`, 1, within);
      }
      if (stillRunning.has(keyOf(event))) {
        metrics.failed.inc({ type: event.type });
        return park(
          event,
          `the handler's earlier attempt is still running past the ${o.handlerTimeoutMs} ms deadline`,
          o.maxAttempts,
          within,
        );
      }
      try {
        return { kind: await runHandler(event, sub, checked.value, within) };
      } catch (err) {
        if (err instanceof LeaseLost) return { kind: 'lost' };
        metrics.failed.inc({ type: event.type });
        const error = describe(err);
        const { rows } = await sql<{ attempts: number }>`
          insert into souk_event_failure (source, id, attempts, last_error) values (${event.source}, ${event.id}, 1, ${error})
          on conflict (source, id) do update set attempts = souk_event_failure.attempts + 1, last_error = excluded.last_error, updated_at = now()
          returning attempts`.execute(db);
        const attempts = rows[0]!.attempts;
        if (attempts >= o.maxAttempts) return park(event, error, attempts, within);
        o.log.warn({ event_id: event.id, event_type: event.type, attempts, err }, 'event handler failed; will redeliver');
        return { kind: 'retry', delayMs: o.retryDelayMs(attempts), error };
      }
    },

    async deliverBatch(events, within) {
      const prepared: { event: CloudEvent; sub: Subscription; data: unknown }[] = [];
      for (const event of events) {
        const sub = o.subscriptions.get(event.type);
        if (!sub) continue; // not ours: nothing to record, the cursor moves past it
        const checked = sub.contract.check(event.data);
        if (!checked.ok) return 'fallback'; // parked one by one, with its reasons
        if (stillRunning.has(keyOf(event))) return 'fallback'; // parked one by one
        prepared.push({ event, sub, data: checked.value });
      }
      const started = performance.now();
      try {
        const results = await withDeadline(
          db.transaction().execute(async (trx) => {
            // One inbox statement for the page (with `within`), then the new events' handlers in order, in this transaction.
            if (prepared.length === 0 && within && !(await runWithin(trx, within))) throw new LeaseLost();
            const fresh =
              prepared.length > 0
                ? await recordInbox(
                    trx,
                    prepared.map((p) => p.event),
                    within,
                  )
                : new Set<string>();
            const out: ('handled' | 'duplicate')[] = [];
            const shared = new SharedWork();
            for (const p of prepared) {
              out.push(
                await traced(p.event, async () => {
                  if (!fresh.has(keyOf(p.event))) return 'duplicate';
                  await runIn(trx, shared, p.event, p.sub, p.data);
                  return 'handled';
                }),
              );
            }
            await shared.flush(trx);
            return out;
          }),
          o.handlerTimeoutMs * Math.max(1, prepared.length),
        );
        results.forEach((r, i) => committed(prepared[i]!.event, r, started));
        return 'handled';
      } catch (err) {
        if (err instanceof LeaseLost) return 'lost';
        o.log.debug({ err, events: events.length }, 'a batch failed; delivering its events one by one');
        return 'fallback';
      }
    },

    async parkUndeliverable(event, error) {
      await park(event, error, 1);
    },

    async handleNow(event) {
      const sub = o.subscriptions.get(event.type);
      if (!sub) throw new Error(`no handler for ${event.type} in this service`);
      const checked = sub.contract.check(event.data);
      if (!checked.ok) throw new Error(`payload does not match the ${sub.contract.name} contract`);
      return runHandler(event, sub, checked.value);
    },
  };
}

function keyOf(event: CloudEvent): string {
  return `${event.source} ${event.id}`;
}

function received<T>(event: CloudEvent, data: T): ReceivedEvent<T> {
  return {
    id: event.id,
    source: event.source,
    type: event.type,
    ...(event.subject !== undefined ? { subject: event.subject } : {}),
    time: event.time,
    data,
    envelope: event,
  };
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
