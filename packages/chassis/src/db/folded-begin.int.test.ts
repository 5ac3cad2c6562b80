// BEGIN folding on a real PostgreSQL: a transaction's BEGIN goes in the same
// write as its first statement (counted here as the writes on the connection's
// socket, one per round trip), and transactions behave as they did: failures
// roll back, isolation levels hold, savepoints work, the connection stays usable.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { trace } from '@opentelemetry/api';
import { sql, type Kysely } from 'kysely';
import { createLogger } from '../logging.ts';
import { createTestDatabase, type TestDatabase } from '../testing/index.ts';
import { createDatabase, type Database } from './database.ts';

const log = createLogger({ service: 'folded-begin-test', instance: 'test', level: 'silent' });
let testDb: TestDatabase;
let port: number;
const opened: Database[] = [];

function open(poolSize = 1): Kysely<any> {
  const database = createDatabase({
    url: testDb.url,
    poolSize,
    applicationName: 'folded-begin-test',
    tracer: trace.getTracer('test'),
    log,
  });
  opened.push(database);
  return database.db;
}

// Every network write to the database's port: the client writes once per round trip (pg corks the
// messages of one statement, and a folded BEGIN goes in the same write).
let writes = 0;
let counting = false;
const socket = net.Socket.prototype as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
const originals = { _write: socket._write, _writev: socket._writev };
for (const method of ['_write', '_writev'] as const) {
  const original = originals[method];
  socket[method] = function (this: net.Socket, ...args: unknown[]) {
    if (counting && this.remotePort === port) writes++;
    return original.apply(this, args);
  };
}

/** The writes to the database while `work` runs (on connections opened before it). */
async function writesDuring(work: () => Promise<unknown>): Promise<number> {
  writes = 0;
  counting = true;
  try {
    await work();
  } finally {
    counting = false;
  }
  return writes;
}

let db: Kysely<any>;
const names = async () => (await db.selectFrom('things').select('name').orderBy('id').execute()).map((r) => r.name as string);

before(async () => {
  testDb = await createTestDatabase('folded_begin');
  port = Number(new URL(testDb.url).port || 5432);
  db = open();
  await sql`create table things (id integer primary key, name text not null)`.execute(db);
});
after(async () => {
  Object.assign(socket, originals);
  for (const d of opened) await d.close();
  await testDb?.drop();
});

test('a transaction of one INSERT costs two round trips: BEGIN with the INSERT, then COMMIT', async () => {
  await sql`truncate things`.execute(db);
  const n = await writesDuring(() =>
    db.transaction().execute((trx) => trx.insertInto('things').values({ id: 1, name: 'one' }).execute()),
  );
  assert.equal(n, 2);
  assert.deepEqual(await names(), ['one']);
  // A statement without parameters folds too, and the transaction still commits only at its end.
  const m = await writesDuring(() =>
    db.transaction().execute(async (trx) => {
      await sql`insert into things (id, name) values (2, 'two')`.execute(trx);
      await trx.insertInto('things').values({ id: 3, name: 'three' }).execute();
    }),
  );
  assert.equal(m, 3);
  assert.deepEqual(await names(), ['one', 'two', 'three']);
});

test('an empty transaction sends nothing, whether it commits or rolls back', async () => {
  assert.equal(await writesDuring(() => db.transaction().execute(async () => 'nothing')), 0);
  const rolledBack = writesDuring(() =>
    db.transaction().execute(async () => {
      throw new Error('changed my mind');
    }),
  );
  await assert.rejects(rolledBack, /changed my mind/);
  assert.equal(writes, 0);
});

test('the BEGIN is really there: a later failure rolls back the first statement', async () => {
  await sql`truncate things`.execute(db);
  await assert.rejects(
    db.transaction().execute(async (trx) => {
      await trx.insertInto('things').values({ id: 1, name: 'kept?' }).execute();
      throw new Error('abandon');
    }),
    /abandon/,
  );
  assert.deepEqual(await names(), []);
});

test('a failing first statement rolls back cleanly and the connection is reusable', async () => {
  await sql`truncate things`.execute(db);
  await db.insertInto('things').values({ id: 1, name: 'one' }).execute();
  const n = await writesDuring(() =>
    assert.rejects(
      db.transaction().execute((trx) => trx.insertInto('things').values({ id: 1, name: 'again' }).execute()),
      (err: { code?: string }) => err.code === '23505',
    ),
  );
  assert.equal(n, 2, 'BEGIN with the failing INSERT, then ROLLBACK');
  assert.deepEqual(
    await db.transaction().execute((trx) => trx.insertInto('things').values({ id: 2, name: 'two' }).returning('id').execute()),
    [{ id: 2 }],
  );
  assert.deepEqual(await names(), ['one', 'two']);
});

test('a first statement that fails to parse is parsed again next time (its name is not taken as prepared)', async () => {
  const read = (trx: Kysely<any>) => trx.selectFrom('later').select('v').where('v', '=', 7).execute();
  await assert.rejects(db.transaction().execute(read), (err: { code?: string }) => err.code === '42P01');
  await sql`create table later (v integer)`.execute(db);
  await sql`insert into later values (7)`.execute(db);
  assert.deepEqual(await db.transaction().execute(read), [{ v: 7 }]);
  assert.deepEqual(await read(db), [{ v: 7 }]);
});

test('a BEGIN that fails (in a failed transaction) leaves its statement unprepared, and ROLLBACK recovers', async () => {
  await db.connection().execute(async (conn) => {
    await sql`begin`.execute(conn);
    await assert.rejects(sql`select 1 / ${0}`.execute(conn), (err: { code?: string }) => err.code === '22012');
    await sql`begin`.execute(conn); // held; fails with the statement it travels with
    const fresh = async (c: Kysely<any>) => (await sql<{ x: number }>`select ${41}::int + 1 as x`.execute(c)).rows;
    await assert.rejects(fresh(conn), (err: { code?: string }) => err.code === '25P02');
    await sql`rollback`.execute(conn);
    assert.deepEqual(await fresh(conn), [{ x: 42 }]);
  });
});

test('a BEGIN refused on its first use is prepared when next used, and its isolation level holds', async () => {
  const level = async (c: Kysely<any>) =>
    (await sql<{ l: string }>`select current_setting(${'transaction_isolation'}) as l`.execute(c)).rows[0]!.l;
  await db.connection().execute(async (conn) => {
    await sql`begin`.execute(conn);
    await assert.rejects(sql`select 1 / ${0}`.execute(conn), (err: { code?: string }) => err.code === '22012');
    // This BEGIN text is new to the connection; in a failed transaction the server refuses its Parse.
    await sql`start transaction isolation level repeatable read`.execute(conn);
    await assert.rejects(level(conn), (err: { code?: string }) => err.code === '25P02');
    await sql`rollback`.execute(conn);
  });
  assert.equal(await db.transaction().setIsolationLevel('repeatable read').execute(level), 'repeatable read');
  assert.equal(await db.transaction().execute(level), 'read committed');
});

test('an isolation level given to the transaction holds from its first statement', async () => {
  const level = await db
    .transaction()
    .setIsolationLevel('serializable')
    .execute(
      async (trx) => (await sql<{ l: string }>`select current_setting('transaction_isolation') as l`.execute(trx)).rows[0]!.l,
    );
  assert.equal(level, 'serializable');

  // Write skew between two serializable transactions: one of them must fail to commit.
  const two = open(2);
  await sql`truncate things`.execute(two);
  let bothRead!: () => void;
  const started = new Promise<void>((resolve) => (bothRead = resolve));
  let readers = 0;
  const skew = (id: number) =>
    two
      .transaction()
      .setIsolationLevel('serializable')
      .execute(async (trx) => {
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from things`.execute(trx);
        if (++readers === 2) bothRead();
        await started; // both have read before either writes
        await trx
          .insertInto('things')
          .values({ id, name: `seen ${rows[0]!.n}` })
          .execute();
      });
  const outcomes = await Promise.allSettled([skew(1), skew(2)]);
  const failed = outcomes.filter((o) => o.status === 'rejected');
  assert.equal(failed.length, 1, JSON.stringify(outcomes));
  assert.equal((failed[0] as PromiseRejectedResult).reason.code, '40001');
});

test('savepoints as a first statement and within work as before', async () => {
  await sql`truncate things`.execute(db);
  const trx = await db.startTransaction().execute();
  const sp = await trx.savepoint('first').execute();
  await sp.insertInto('things').values({ id: 1, name: 'undone' }).execute();
  await sp.rollbackToSavepoint('first').execute();
  await sp.insertInto('things').values({ id: 2, name: 'kept' }).execute();
  await sp.commit().execute();
  assert.deepEqual(await names(), ['kept']);
});

test('a text that may hold several statements sends the BEGIN first, on its own, and stays in the transaction', async () => {
  await sql`truncate things`.execute(db);
  const n = await writesDuring(() =>
    assert.rejects(
      db.transaction().execute(async (trx) => {
        await sql`insert into things (id, name) values (1, 'a'); insert into things (id, name) values (2, 'b')`.execute(trx);
        throw new Error('abandon');
      }),
      /abandon/,
    ),
  );
  assert.equal(n, 3, 'BEGIN, the two statements, ROLLBACK');
  assert.deepEqual(await names(), []);
});
