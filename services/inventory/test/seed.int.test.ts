// The demo stock against a real catalog started in-process: inventory starts
// first (catalog is not up, the start is not held up), retries with backoff,
// and once catalog answers opens a level for every product; only once.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startService, type RunningService } from '@souk/chassis';
import { createTestDatabase, freePort, type TestDatabase } from '@souk/chassis/testing';
import { sql } from 'kysely';
import { catalogService } from '../../catalog/src/service.ts';
import { SEED_NAME, startSeedTask } from '../src/seed/seed-loader.ts';
import { API, call, startInventory, waitFor, type Harness } from './harness.ts';

let h: Harness;
let catalogDb: TestDatabase;
let catalog: RunningService | undefined;
let catalogPort: number;

before(async () => {
  catalogPort = await freePort();
  catalogDb = await createTestDatabase('inventory_seed_catalog');
  h = await startInventory('inventory_seed', {
    services: { catalog: `http://127.0.0.1:${catalogPort}` },
    realClock: true,
    // Short breaker pauses: the calls made while catalog is down open it.
    env: { INVENTORY_SEED_STOCK: '100', INVENTORY_LOW_STOCK_THRESHOLD: '4', BREAKER_HALF_OPEN_AFTER_MS: '100' },
  });
});
after(async () => {
  await h?.close();
  await catalog?.stop();
  await catalogDb?.drop();
});

const count = async (table: string) =>
  Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(h.db)).rows[0]!.n);

test('inventory is up before catalog; once catalog answers every product gets INVENTORY_SEED_STOCK units', async () => {
  // Started and serving without catalog.
  assert.equal((await call(h.svc.url, 'GET', '/health/live')).status, 200);
  assert.equal(await count('stock_levels'), 0);

  catalog = await startService(catalogService, {
    env: { DATABASE_URL: catalogDb.url, LOG_LEVEL: 'silent', PORT: String(catalogPort) },
  });
  const total = (await call(catalog.url, 'GET', '/api/v1/catalog/products?pageSize=1')).json.total as number;
  assert.ok(total > 100, 'the seed catalogue spans several pages');
  await waitFor(async () => (await count('seed_runs')) === 1, { timeoutMs: 30_000, what: 'the demo stock' });
  assert.equal(await count('stock_levels'), total);

  const [first] = (await call(catalog.url, 'GET', '/api/v1/catalog/products?pageSize=1&sort=name')).json.items;
  const level = await call(h.svc.url, 'GET', `${API}/${first.id}`);
  assert.deepEqual([level.json.onHand, level.json.available, level.json.lowStockThreshold], [100, 100, 4]);
});

test('the marker makes it once: a second run (another instance, a restart) changes nothing', async () => {
  const [first] = (await call(catalog!.url, 'GET', '/api/v1/catalog/products?pageSize=1&sort=name')).json.items;
  await sql`delete from stock_levels where product_id = ${first.id}`.execute(h.db);
  await sql`update stock_levels set on_hand = 7`.execute(h.db);
  const task = startSeedTask({
    db: h.db,
    catalog: h.svc.ctx.client('catalog'),
    log: h.svc.ctx.log,
    clock: h.clock,
    stock: 100,
    threshold: 4,
  });
  // A deadline, not a wait: with the marker there the task ends at once (without it, it would retry for ever).
  const finished = await Promise.race([
    task.done.then(() => true),
    new Promise<boolean>((r) => setTimeout(r, 10_000, false).unref()),
  ]);
  await task.stop();
  assert.ok(finished, 'the second run did not find the marker');
  assert.equal((await call(h.svc.url, 'GET', `${API}/${first.id}`)).status, 404);
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from stock_levels where on_hand <> 7`.execute(h.db);
  assert.equal(rows[0]!.n, 0);
  assert.equal((await sql<{ name: string }>`select name from seed_runs`.execute(h.db)).rows[0]!.name, SEED_NAME);
});
