// The two processes bench/events runs per transport: a producer that commits
// events (one transaction per request batch) and a consumer whose handler
// records how long each event took from its publishing request to handling.
// BENCH_ROLE=producer|consumer, BENCH_PRODUCER=<service name>.

import { sql } from 'kysely';
import { Type } from 'typebox';
import { defineEvent, defineService, runService } from '@souk/chassis';

const producer = process.env.BENCH_PRODUCER ?? 'bench-producer';
export const Measured = defineEvent({
  source: producer,
  name: 'Measured',
  schema: Type.Object({ n: Type.Integer(), pad: Type.String() }),
});
const PAD = 'x'.repeat(200); // a payload of a realistic size

const producerService = defineService({
  name: producer,
  version: '0.0.1',
  events: { publishes: [Measured] },
  migrations: {},
  setup(ctx) {
    ctx.app.post(
      '/emit',
      { schema: { body: Type.Object({ from: Type.Integer(), count: Type.Integer({ minimum: 1, maximum: 1000 }) }) } },
      async (req) => {
        await ctx.db.transaction().execute(async (trx) => {
          for (let n = req.body.from; n < req.body.from + req.body.count; n++)
            await ctx.events.publish(trx, Measured, { n, pad: PAD });
        });
        return { ok: true };
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
        await sql`create table handled (n integer primary key, latency_ms double precision not null, at timestamptz not null default clock_timestamp())`.execute(
          db,
        );
      },
    },
  },
  setup(ctx) {
    ctx.events.subscribe(Measured, async (event, { db }) => {
      const latency = Date.now() - Date.parse(event.time);
      await sql`insert into handled (n, latency_ms) values (${event.data.n}, ${latency})`.execute(db);
    });
  },
});

await runService(process.env.BENCH_ROLE === 'consumer' ? consumerService : producerService);
