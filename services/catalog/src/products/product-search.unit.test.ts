// The SQL a search compiles to, checked without a database.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import type { ChassisTables } from '@souk/chassis';
import type { CatalogDb } from '../db.ts';
import { parseProductQuery } from './product-query.ts';
import { buildSearchQueries } from './product-search.ts';

const db = new Kysely<CatalogDb & ChassisTables>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new PostgresIntrospector(k),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

function compile(query: Parameters<typeof parseProductQuery>[0]) {
  const { count, page } = buildSearchQueries(db, parseProductQuery(query));
  return { count: count.compile(), page: page.compile() };
}

test('a plain listing has no filters and pages by name then id', () => {
  const { count, page } = compile({ page: 2, pageSize: 10 });
  assert.doesNotMatch(count.sql, /where/i);
  assert.match(page.sql, /order by lower\(p\.name\) asc, "p"\."id" asc limit \$1 offset \$2$/);
  assert.deepEqual(page.parameters, [10, 10]);
});

test('full-text search matches with websearch_to_tsquery and ranks with ts_rank', () => {
  const { count, page } = compile({ q: 'gooseneck kettle' });
  assert.match(count.sql, /p\.search_vector @@ websearch_to_tsquery\('english'::regconfig, \$1\)/);
  assert.deepEqual(count.parameters, ['gooseneck kettle']);
  assert.match(
    page.sql,
    /order by ts_rank\(p\.search_vector, websearch_to_tsquery\('english'::regconfig, \$2\)\) desc, lower\(p\.name\) asc, "p"\."id" asc/,
  );
  assert.deepEqual(page.parameters, ['gooseneck kettle', 'gooseneck kettle', 20, 0]);
});

test('the category filter walks the subtree and prices are inclusive bounds', () => {
  const { count } = compile({ category: 'coffee-tea', minPrice: 1000, maxPrice: 2000 });
  assert.match(count.sql, /with recursive subtree\(id\)/);
  assert.match(count.sql, /slug = \$1/);
  assert.match(count.sql, /p\.price_cents >= \$2/);
  assert.match(count.sql, /p\.price_cents <= \$3/);
  assert.deepEqual(count.parameters, ['coffee-tea', 1000, 2000]);
});

test('the count query neither sorts nor pages', () => {
  const { count } = compile({ q: 'mug', sort: '-price', page: 4 });
  assert.doesNotMatch(count.sql, /order by|limit|offset/i);
});

test('user text only ever travels as a parameter', () => {
  const evil = "x'); drop table products; --";
  const { count, page } = compile({ q: evil, category: 'kitchen' });
  assert.doesNotMatch(count.sql + page.sql, /drop table/);
});
