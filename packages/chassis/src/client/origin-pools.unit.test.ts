// One pool per origin: instance URLs on the same origin share it, their base
// paths are kept apart, and retain() closes the pools no listed URL uses.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createOriginPools } from './origin-pools.ts';

function setup() {
  const opened: string[] = [];
  const closed: string[] = [];
  const pools = createOriginPools(
    (origin) => (opened.push(origin.origin), { origin: origin.origin }),
    async (pool) => void closed.push(pool.origin),
  );
  return { pools, opened, closed };
}

test('URLs on one origin share a pool; host and base path come from the URL', () => {
  const { pools, opened } = setup();
  const a = pools.target('http://127.0.0.1:4001/');
  const b = pools.target('http://127.0.0.1:4001/v2/');
  assert.equal(a.pool, b.pool);
  assert.deepEqual(opened, ['http://127.0.0.1:4001']);
  assert.deepEqual([a.host, a.basePath, b.basePath], ['127.0.0.1:4001', '', '/v2']);
  assert.equal(pools.target('http://127.0.0.1:4001/'), a, 'a target is found again, not rebuilt');
});

test('retain closes the pools of origins no listed URL uses, and close closes the rest', async () => {
  const { pools, opened, closed } = setup();
  pools.target('http://127.0.0.1:4001');
  pools.target('http://127.0.0.1:4002');
  pools.retain(['http://127.0.0.1:4002/']);
  assert.deepEqual(closed, ['http://127.0.0.1:4001']);
  assert.equal([...pools.pools()].length, 1);
  pools.target('http://127.0.0.1:4001');
  assert.deepEqual(
    opened,
    ['http://127.0.0.1:4001', 'http://127.0.0.1:4002', 'http://127.0.0.1:4001'],
    'opened again when used again',
  );
  await pools.close();
  assert.deepEqual(closed.sort(), ['http://127.0.0.1:4001', 'http://127.0.0.1:4001', 'http://127.0.0.1:4002']);
  assert.equal([...pools.pools()].length, 0);
});
