// A producer and a consumer service made for the event conformance suite: the
// producer writes ticks and publishes `Ticked` in the same transaction; the
// consumer records one effect row per handled event, so tests can count
// effects and read the order they were made in.

import { sql } from 'kysely';
import { trace } from '@opentelemetry/api';
import { Type } from 'typebox';
import { defineEvent, defineService, type EventContract } from '../../src/index.ts';

export function tickedEvent(producer: string) {
  return defineEvent({
    source: producer,
    name: 'Ticked',
    schema: Type.Object({ n: Type.Integer(), poison: Type.Optional(Type.Boolean()) }),
  });
}

/** An event of the producer the consumer does not subscribe to (must be skipped, not block). */
export function tockedEvent(producer: string) {
  return defineEvent({ source: producer, name: 'Tocked', schema: Type.Object({ n: Type.Integer() }) });
}

export const EmitBody = Type.Object({
  from: Type.Integer(),
  count: Type.Integer({ minimum: 1, maximum: 10_000 }),
  /** Events per transaction. */
  perTransaction: Type.Integer({ minimum: 1, default: 1 }),
  poison: Type.Optional(Type.Array(Type.Integer())),
  tocks: Type.Optional(Type.Boolean()),
  /** Kill the process with SIGKILL right after the last commit, before the relay can run. */
  crashAfterCommit: Type.Optional(Type.Boolean()),
});

export function producerService(name: string) {
  const Ticked = tickedEvent(name);
  const Tocked = tockedEvent(name);
  return defineService({
    name,
    version: '0.0.1',
    events: { publishes: [Ticked, Tocked] },
    migrations: {
      '001_ticks': {
        async up(db) {
          await sql`create table ticks (n integer primary key)`.execute(db);
        },
      },
    },
    setup(ctx) {
      ctx.app.post('/emit', { schema: { body: EmitBody } }, async (req) => {
        const { from, count, perTransaction, poison = [], tocks = false } = req.body;
        for (let start = from; start < from + count; start += perTransaction) {
          await ctx.db.transaction().execute(async (trx) => {
            for (let n = start; n < Math.min(start + perTransaction, from + count); n++) {
              await sql`insert into ticks (n) values (${n})`.execute(trx);
              await ctx.events.publish(
                trx,
                Ticked,
                { n, ...(poison.includes(n) ? { poison: true } : {}) },
                { subject: String(n) },
              );
              if (tocks) await ctx.events.publish(trx, Tocked, { n });
            }
          });
        }
        if (req.body.crashAfterCommit) process.kill(process.pid, 'SIGKILL');
        return { emitted: count };
      });
    },
  });
}

export interface ConsumerHooks {
  /** Poisoned events fail while this says so. */
  poisonFails(): boolean;
  /** Called inside the handler after the effect is written, before commit (crash tests hang here). */
  inHandler?(n: number): Promise<void>;
  /** Makes every handler take this long (slow handlers against leases and ack waits). */
  slowMs?: number;
}

export function consumerService(
  name: string,
  Ticked: EventContract<ReturnType<typeof tickedEvent>['schema']>,
  hooks: ConsumerHooks,
) {
  return defineService({
    name,
    version: '0.0.1',
    migrations: {
      '001_effects': {
        async up(db) {
          await sql`create table effects (seq bigserial primary key, n integer not null, event_id text not null, instance text not null, trace_id text)`.execute(
            db,
          );
        },
      },
    },
    setup(ctx) {
      ctx.events.subscribe(Ticked, async (event, { db }) => {
        if (event.data.poison && hooks.poisonFails()) throw new Error(`tick ${event.data.n} is poison`);
        const traceId = trace.getActiveSpan()?.spanContext().traceId ?? null;
        await sql`insert into effects (n, event_id, instance, trace_id) values (${event.data.n}, ${event.id}, ${ctx.instanceId}, ${traceId})`.execute(
          db,
        );
        await hooks.inHandler?.(event.data.n);
        if (hooks.slowMs) await new Promise((r) => setTimeout(r, hooks.slowMs));
      });
    },
  });
}
