// Statements marked `prepared` go as named prepared statements of the pool's
// connection (pg_prepared_statements shows them); others stay unnamed, and
// both give the same results.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { trace } from '@opentelemetry/api';
import { sql } from 'kysely';
import { pino } from 'pino';
import { createDatabase, type Database } from './database.ts';
import { prepared } from './prepared.ts';
import { createTestDatabase, type TestDatabase } from '../testing/index.ts';

let testDb: TestDatabase;
let database: Database;

before(async () => {
  testDb = await createTestDatabase('prepared');
  database = createDatabase({
    url: testDb.url,
    poolSize: 1, // one connection: every statement below sees the same session's prepared statements
    applicationName: 'prepared-test',
    tracer: trace.getTracer('test'),
    log: pino({ level: 'silent' }),
  });
});

after(async () => {
  await database.close();
  await testDb.drop();
});

const preparedHere = async () =>
  (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(database.db)).rows.map(
    (r) => r.statement,
  );

test('a marked statement is prepared once per connection and reused; an unmarked one is not prepared', async () => {
  const { db } = database;
  for (const n of [1, 2, 3]) {
    const { rows } = await sql<{ twice: number }>`${prepared}select ${n}::int * 2 as twice`.execute(db);
    assert.equal(rows[0]?.twice, n * 2);
  }
  const { rows } = await sql<{ thrice: number }>`select ${4}::int * 3 as thrice`.execute(db);
  assert.equal(rows[0]?.thrice, 12);
  const statements = await preparedHere();
  assert.equal(statements.filter((s) => s.includes('* 2 as twice')).length, 1, 'one prepared statement for the three runs');
  assert.equal(statements.filter((s) => s.includes('* 3 as thrice')).length, 0);
});

test('a marked statement that fails reports its error, and the connection goes on', async () => {
  const { db } = database;
  await assert.rejects(sql`${prepared}select 1 / ${0}::int`.execute(db), /division by zero/);
  const { rows } = await sql<{ one: number }>`${prepared}select ${1}::int as one`.execute(db);
  assert.equal(rows[0]?.one, 1);
});
