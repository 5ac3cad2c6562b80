// The database module on a real PostgreSQL: statements with parameters are
// prepared once per connection (and stop being prepared past the limit), and
// results, errors and transactions are what they were without it.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { trace } from '@opentelemetry/api';
import { sql, type Kysely } from 'kysely';
import { createLogger } from '../logging.ts';
import { createTestDatabase, type TestDatabase } from '../testing/index.ts';
import { createDatabase, type Database } from './database.ts';

const log = createLogger({ service: 'database-test', instance: 'test', level: 'silent' });
let testDb: TestDatabase;
const opened: Database[] = [];

function open(maxPreparedStatements?: number): Kysely<any> {
  const database = createDatabase({
    url: testDb.url,
    // One connection: every statement of a test meets the same session's prepared statements.
    poolSize: 1,
    applicationName: 'database-test',
    tracer: trace.getTracer('test'),
    log,
    ...(maxPreparedStatements === undefined ? {} : { maxPreparedStatements }),
  });
  opened.push(database);
  return database.db;
}

/** The statement texts prepared in the session that runs this query (the pool's only connection). */
async function preparedTexts(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db);
  return rows.map((r) => r.statement);
}

before(async () => {
  testDb = await createTestDatabase('database');
  const db = open();
  await db.schema
    .createTable('things')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'text')
    .execute();
});
after(async () => {
  for (const d of opened) await d.close();
  await testDb?.drop();
});

test('a statement with parameters is prepared once per connection and answers as before', async () => {
  const db = open();
  for (let id = 1; id <= 3; id++)
    await db
      .insertInto('things')
      .values({ id, name: `thing ${id}` })
      .execute();
  const byId = (id: number) => db.selectFrom('things').select('name').where('id', '=', id).executeTakeFirst();
  assert.deepEqual(await byId(2), { name: 'thing 2' });
  assert.deepEqual(await byId(3), { name: 'thing 3' });
  assert.equal(await byId(9), undefined);
  const texts = await preparedTexts(db);
  assert.equal(texts.filter((t) => t.startsWith('insert into "things"')).length, 1, texts.join('\n'));
  assert.equal(texts.filter((t) => t.startsWith('select "name" from "things"')).length, 1, texts.join('\n'));
});

test('errors and rollbacks of prepared statements are those of PostgreSQL, and the statement stays usable', async () => {
  const db = open();
  const insert = (id: number) => db.insertInto('things').values({ id, name: 'again' }).execute();
  await assert.rejects(insert(1), (err: { code?: string }) => err.code === '23505');
  await assert.rejects(
    db.transaction().execute(async (trx) => {
      await trx.insertInto('things').values({ id: 100, name: 'rolled back' }).execute();
      await trx.insertInto('things').values({ id: 1, name: 'duplicate' }).execute();
    }),
    (err: { code?: string }) => err.code === '23505',
  );
  assert.equal(await db.selectFrom('things').select('id').where('id', '=', 100).executeTakeFirst(), undefined);
  await insert(101);
  assert.deepEqual(await db.selectFrom('things').select('name').where('id', '=', 101).executeTakeFirst(), { name: 'again' });
});

test('past the limit, new statement texts run unnamed and still answer', async () => {
  const db = open(1);
  const first = await db.selectFrom('things').select('id').where('id', '<', 3).orderBy('id').execute();
  const second = await db.selectFrom('things').select('name').where('id', '=', 1).execute();
  assert.deepEqual(first, [{ id: 1 }, { id: 2 }]);
  assert.deepEqual(second, [{ name: 'thing 1' }]);
  const texts = await preparedTexts(db);
  assert.equal(texts.length, 1, texts.join('\n'));
  assert.match(texts[0]!, /"id" < \$1/);
});

test('with 0, nothing is prepared', async () => {
  const db = open(0);
  await db.selectFrom('things').select('id').where('id', '=', 1).execute();
  assert.deepEqual(await preparedTexts(db), []);
});
