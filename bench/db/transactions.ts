// What a round trip inside a small transaction costs through the chassis'
// database layer, in CPU of the client process and of its PostgreSQL backend
// (from /proc), with the socket writes (one per round trip). The same
// transaction three ways, interleaved in rounds in one process so that the
// machine's load falls on each alike: BEGIN held and sent with the INSERT
// (db/folded-begin.ts), BEGIN sent on its own (a text the layer does not hold),
// and one `select 1` round trip more. A checkout's noise here (±15 %) hides a
// change of a few tens of µs per transaction; this does not.
// Run: `npx tsx bench/db/transactions.ts` (BENCH_TRANSACTIONS per way, default 5000).

import net from 'node:net';
import { trace } from '@opentelemetry/api';
import { sql, type Generated, type Kysely } from 'kysely';
import { createDatabase } from '../../packages/chassis/src/db/database.ts';
import { createLogger } from '../../packages/chassis/src/logging.ts';
import { createTestDatabase } from '../../packages/chassis/src/testing/index.ts';
import { processCpuMs } from '../../tools/devhost/src/proc-stats.ts';
import { positive } from '../settings.ts';

const TRANSACTIONS = positive('BENCH_TRANSACTIONS', 5000);
const ROUNDS = 20;

let writes = 0;
const socket = net.Socket.prototype as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
for (const method of ['_write', '_writev'] as const) {
  const original = socket[method];
  socket[method] = function (this: net.Socket, ...args: unknown[]) {
    writes++;
    return original.apply(this, args);
  };
}

type Db = Kysely<{ t: { id: Generated<number>; v: number } }>;
const testDb = await createTestDatabase('bench_transactions');
const database = createDatabase({
  url: testDb.url,
  poolSize: 1,
  applicationName: 'bench-transactions',
  tracer: trace.getTracer('bench'),
  log: createLogger({ service: 'bench', instance: 'bench', level: 'silent' }),
});
const db = database.db as Db;

/** BEGIN (given as `begin`), an INSERT, maybe a `select 1`, COMMIT, on one connection. */
const transaction = (begin: ReturnType<typeof sql.raw>, extra: boolean) => (i: number) =>
  db.connection().execute(async (c) => {
    await begin.execute(c);
    await c.insertInto('t').values({ v: i }).execute();
    if (extra) await sql`select 1`.execute(c);
    await sql`commit`.execute(c);
  });

try {
  await sql`create table t (id bigserial primary key, v integer not null)`.execute(db);
  const backend = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]!.pid;
  const ways: Record<string, (i: number) => Promise<unknown>> = {
    'BEGIN held, sent with the INSERT; COMMIT': transaction(sql.raw('begin'), false),
    'BEGIN sent on its own; INSERT; COMMIT': transaction(sql.raw('begin -- not held'), false),
    'BEGIN held; INSERT; select 1; COMMIT': transaction(sql.raw('begin'), true),
  };
  const totals = new Map(Object.keys(ways).map((w) => [w, { clientUs: 0, serverUs: 0, writes: 0 }]));
  for (const run of Object.values(ways)) for (let i = 0; i < 300; i++) await run(i); // statements prepared, JIT settled
  const perRound = Math.ceil(TRANSACTIONS / ROUNDS);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [way, run] of Object.entries(ways)) {
      writes = 0;
      const client0 = process.cpuUsage();
      const server0 = processCpuMs(backend)!;
      for (let i = 0; i < perRound; i++) await run(i);
      const client = process.cpuUsage(client0);
      const total = totals.get(way)!;
      total.clientUs += client.user + client.system;
      total.serverUs += (processCpuMs(backend)! - server0) * 1000;
      total.writes += writes;
    }
  }
  const n = perRound * ROUNDS;
  console.log(`${n} transactions each way, in ${ROUNDS} rounds`);
  console.log(`| transaction | writes | client CPU µs | PostgreSQL CPU µs | total CPU µs |`);
  console.log(`|---|---:|---:|---:|---:|`);
  for (const [way, t] of totals)
    console.log(
      `| ${way} | ${(t.writes / n).toFixed(2)} | ${(t.clientUs / n).toFixed(0)} | ${(t.serverUs / n).toFixed(0)} | ${((t.clientUs + t.serverUs) / n).toFixed(0)} |`,
    );
} finally {
  await database.close();
  await testDb.drop();
}
