// The two processes bench/events runs per transport: a producer that commits
// events and a consumer whose handler records when each arrived.
// BENCH_ROLE=producer|consumer, BENCH_PRODUCER=<service name>.
//
// The producer commits events two ways: POST /emit, one transaction per
// request (the HTTP-driven rows and the burst, `count` events in one
// statement), and POST /offer, from inside its own process at a fixed rate,
// one transaction and one event per commit, answering with the moment it sent
// each COMMIT (the commit → handler rows).

import { sql } from 'kysely';
import { Type } from 'typebox';
import { defineEvent, defineService, runService, type ServiceContext } from '@souk/chassis';
import { offerAtRate, wallClockMs } from './offer.ts';

const producer = process.env.BENCH_PRODUCER ?? 'bench-producer';
export const Measured = defineEvent({
  source: producer,
  name: 'Measured',
  schema: Type.Object({ n: Type.Integer(), pad: Type.String() }),
});
const PAD = 'x'.repeat(200); // a payload of a realistic size
const POOL_SIZE = Number(process.env.DATABASE_POOL_SIZE ?? 5);
const IN_FLIGHT = 32;

/**
 * POST /bench/flush-stats: every pooled connection's backend reports its statistics now. PostgreSQL
 * (15) keeps a backend's commit counts to itself until its next transaction ends at least a second
 * after its last report, even idle for minutes; without this, pg_stat_database showed a phase part
 * of the previous phase's commits (the NATS burst's "1.1 commits per event"). One transaction on each
 * connection, all held at once so that each is a different one.
 */
function flushStatsRoute({ app, db }: ServiceContext) {
  app.post('/bench/flush-stats', async () => {
    let begun = 0;
    let allBegun = () => {};
    const barrier = new Promise<void>((resolve) => (allBegun = resolve));
    const timeout = setTimeout(allBegun, 2_000); // fewer connections free than the pool's size: report what we can
    await Promise.all(
      Array.from({ length: POOL_SIZE }, () =>
        db.transaction().execute(async (trx) => {
          await sql`select pg_stat_force_next_flush()`.execute(trx);
          if (++begun === POOL_SIZE) allBegun();
          await barrier;
        }),
      ),
    );
    clearTimeout(timeout);
    return { connections: begun };
  });
}

const producerService = defineService({
  name: producer,
  version: '0.0.1',
  events: { publishes: [Measured] },
  migrations: {},
  setup(ctx) {
    flushStatsRoute(ctx);
    ctx.app.post(
      '/emit',
      { schema: { body: Type.Object({ from: Type.Integer(), count: Type.Integer({ minimum: 1, maximum: 1000 }) }) } },
      async (req) => {
        const { from, count } = req.body;
        await ctx.db.transaction().execute(async (trx) => {
          if (count === 1) await ctx.events.publish(trx, Measured, { n: from, pad: PAD });
          else
            await ctx.events.publishAll(
              trx,
              Array.from({ length: count }, (_, i) => ({ contract: Measured, data: { n: from + i, pad: PAD } })),
            );
        });
        return { ok: true };
      },
    );
    ctx.app.post(
      '/offer',
      {
        schema: {
          body: Type.Object({
            from: Type.Integer(),
            count: Type.Integer({ minimum: 1, maximum: 100_000 }),
            rate: Type.Number({ exclusiveMinimum: 0 }),
          }),
        },
      },
      async (req) => {
        const { from, count, rate } = req.body;
        // committedAt[i]: when event from + i's transaction sent its COMMIT (wall clock, ms). Taken as the
        // transaction's work ends, before the COMMIT round trip, so its WAL flush counts in the latency.
        const committedAt = new Array<number>(count);
        // At most IN_FLIGHT transactions wait for the pool's connections: a longer queue only times out.
        const offered = await offerAtRate(
          rate,
          count,
          (i) =>
            ctx.db.transaction().execute(async (trx) => {
              await ctx.events.publish(trx, Measured, { n: from + i, pad: PAD });
              committedAt[i] = wallClockMs();
            }),
          IN_FLIGHT,
        );
        return { offered, committedAt };
      },
    );
  },
});

const consumerService = defineService({
  name: `${producer}-consumer`,
  version: '0.0.1',
  migrations: {
    '001_handled': {
      async up(db) {
        await sql`create table handled (n integer primary key, latency_ms double precision not null, arrived_ms double precision not null)`.execute(
          db,
        );
      },
    },
  },
  setup(ctx) {
    flushStatsRoute(ctx);
    ctx.events.subscribe(Measured, async (event, { db }) => {
      // When the handler got the event (wall clock, ms), and how long after the event's `time` (set as it was published).
      const arrived = wallClockMs();
      const latency = arrived - Date.parse(event.time);
      await sql`insert into handled (n, latency_ms, arrived_ms) values (${event.data.n}, ${latency}, ${arrived})`.execute(db);
    });
  },
});

await runService(process.env.BENCH_ROLE === 'consumer' ? consumerService : producerService);
