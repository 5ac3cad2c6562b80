import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRef } from './ref.ts';

test('a UUID (any case) names a row by id; a slug by slug; anything else names nothing', () => {
  assert.deepEqual(parseRef('3F2504E0-4F89-41D3-9A0C-0305E82C3301'), { by: 'id', id: '3f2504e0-4f89-41d3-9a0c-0305e82c3301' });
  assert.deepEqual(parseRef('milk-frothing-jug-600-ml'), { by: 'slug', slug: 'milk-frothing-jug-600-ml' });
  assert.equal(parseRef('Not A Slug!'), undefined);
});
