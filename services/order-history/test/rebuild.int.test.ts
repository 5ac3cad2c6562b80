// Rebuilding the read model from scratch: only an admin may; the model is
// emptied and every producer's feed replayed; progress is visible; events
// published during the rebuild are not lost; and the rebuilt model equals the
// live one it replaced, row for row.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { waitFor } from '@souk/chassis/testing';
import { sql } from 'kysely';
import { ADMIN_REBUILD_PATH } from '../contract.ts';
import { emptyFacts, evolve } from '../src/projection/order-facts.ts';
import { project } from '../src/projection/order-view.ts';
import { orderStory, seeded, shuffled } from './order-events.ts';
import { API, assertProblem, call, startHistory, type Harness } from './harness.ts';

let h: Harness;
let admin: string;

before(async () => {
  h = await startHistory('rebuild');
  admin = await h.adminToken();
});
after(async () => {
  await h?.close();
});

/** Every row of the read model but the wall-clock projected_at, in a fixed order. */
async function snapshot(): Promise<Record<string, unknown>[]> {
  const { rows } = await sql<Record<string, unknown>>`select * from order_views order by order_id`.execute(h.svc.ctx.db);
  return rows.map(({ projected_at: _, ...rest }) => rest);
}

const rebuildStatus = async () => (await call(h.svc.adminUrl, 'GET', ADMIN_REBUILD_PATH, { token: admin })).json.rebuild;

test('a rebuilt read model equals the live one, and events published meanwhile are in it too', async () => {
  // Three orders told in a shuffled order across producers, and one known only by its capture.
  const random = seeded(7);
  const stories = [orderStory(), orderStory(), orderStory()];
  const lonely = orderStory();
  for (const e of shuffled([...stories.flatMap((s) => s.events), lonely.events[5]!], random)) await h.publish(e);
  await h.caughtUp();
  const live = await snapshot();
  assert.equal(live.length, 4);

  // Only an admin may rebuild.
  assertProblem(await call(h.svc.adminUrl, 'POST', ADMIN_REBUILD_PATH), 401, 'SOUK_AUTH_TOKEN_MISSING');
  assertProblem(
    await call(h.svc.adminUrl, 'POST', ADMIN_REBUILD_PATH, { token: await h.tokenFor(randomUUID()) }),
    403,
    'SOUK_AUTH_FORBIDDEN',
  );
  assert.equal(await rebuildStatus(), null);

  const started = await call(h.svc.adminUrl, 'POST', ADMIN_REBUILD_PATH, { token: admin });
  assert.equal(started.status, 202, started.text);
  const { rebuild } = started.json;
  assert.equal(rebuild.rowsBefore, 4);
  assert.ok(['running', 'done'].includes(rebuild.state));
  assert.deepEqual(
    Object.fromEntries(rebuild.producers.map((p: { producer: string; target: number }) => [p.producer, p.target])),
    { orders: 9, payments: 10, inventory: 9, shipping: 3 },
    'the targets are what the old model had handled',
  );

  // The shop goes on while the model rebuilds.
  const late = orderStory();
  for (const e of late.events) await h.publish(e);

  const done = await waitFor(
    async () => {
      const status = await rebuildStatus();
      return status?.state === 'done' ? status : undefined;
    },
    { what: 'the rebuild to finish', timeoutMs: 30_000 },
  );
  assert.equal(done.id, rebuild.id);
  assert.ok(Date.parse(done.finishedAt) >= Date.parse(done.startedAt));
  await h.caughtUp();

  const rebuilt = await snapshot();
  assert.deepEqual(
    rebuilt.filter((r) => r.order_id !== late.orderId),
    live,
    'row for row what the live model had',
  );
  const { userId: _, ...expected } = project(late.events.reduce(evolve, emptyFacts(late.orderId)));
  const lateView = await call(h.svc.url, 'GET', `${API}/${late.orderId}`, { token: await h.tokenFor(late.userId) });
  assert.deepEqual(lateView.json, expected);

  // The lag endpoint tells the same story.
  const lag = (await call(h.svc.url, 'GET', `${API}/lag`)).json;
  assert.equal(lag.rows, 5);
  assert.equal(lag.rebuild.state, 'done');
  assert.equal(lag.lagSeconds, 0);
  const handled = await sql<{ n: number }>`select count(*)::int as n from souk_inbox`.execute(h.svc.ctx.db);
  assert.equal(handled.rows[0]!.n, 3 * 10 + 1 + 10, 'every event handled once after the rebuild');
});
