// Choreography (shipping's ShipmentFailed cancels a confirmed order) with a
// real chassis producer standing in for shipping, and the test hook that
// pauses the saga before a step (cleared by a restart).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { defineService, startService, type RunningService } from '@souk/chassis';
import { createTestDatabase, sharedTestIssuer, waitFor, type TestDatabase } from '@souk/chassis/testing';
import { ShipmentFailed } from '@souk/shipping/contract';
import { API, assertProblem, call, startOrders, type Harness } from './harness.ts';

/** Publishes what POST /emit gets as ShipmentFailed, through its outbox and feed, like shipping does. */
const shippingStandIn = defineService({
  name: 'shipping',
  version: '0.0.0',
  migrations: {},
  events: { publishes: [ShipmentFailed] },
  setup(ctx) {
    ctx.app.post<{ Body: ShipmentFailed }>('/emit', async (req) => {
      await ctx.db
        .transaction()
        .execute((trx) => ctx.events.publish(trx, ShipmentFailed, req.body, { subject: req.body.orderId }));
      return { ok: true };
    });
  },
});

async function placeConfirmed(h: Harness, user = randomUUID()) {
  const token = await h.tokenFor(user);
  const res = await call(h.svc.url, 'POST', API, { token, headers: { 'idempotency-key': randomUUID(), prefer: 'wait=10' } });
  assert.equal(res.json?.status, 'CONFIRMED', res.text);
  return { order: res.json, token };
}

describe('ShipmentFailed', () => {
  let shippingDb: TestDatabase;
  let shipping: RunningService;
  let h: Harness;
  before(async () => {
    shippingDb = await createTestDatabase('orders_shipping');
    shipping = await startService(shippingStandIn, {
      env: { DATABASE_URL: shippingDb.url, LOG_LEVEL: 'silent', EVENTS_POLL_INTERVAL_MS: '100' },
    });
    shipping.ctx.auth.setKeySource((await sharedTestIssuer()).keySource);
    h = await startOrders('choreo', { EVENTS_FEED_WAIT_MS: '1000' }, `shipping=${shipping.url}`);
  });
  after(async () => {
    await h.close();
    await shipping.stop();
    await shippingDb.drop();
  });

  const failed = (orderId: string) => ({
    orderId,
    shipmentId: randomUUID(),
    reasonCode: 'CARRIER_REFUSED',
    reason: 'The carrier refused the parcel',
    failedAt: new Date().toISOString(),
  });

  test('cancels the confirmed order with SHIPMENT_FAILED and OrderCancelled, once, whatever arrives again', async () => {
    const { order, token } = await placeConfirmed(h);
    await call(shipping.url, 'POST', '/emit', { body: failed(order.id) });
    await waitFor(async () => (await call(h.svc.url, 'GET', `${API}/${order.id}`, { token })).json?.status === 'CANCELLED', {
      what: 'cancelled',
      timeoutMs: 15_000,
    });
    const cancelled = (await call(h.svc.url, 'GET', `${API}/${order.id}`, { token })).json;
    assert.equal(cancelled.reasonCode, 'SHIPMENT_FAILED');
    assert.equal(cancelled.reason, 'The shipment failed (CARRIER_REFUSED): The carrier refused the parcel');

    // A second failure report (another shipment, or a replay) and one for an order nobody knows change nothing.
    await call(shipping.url, 'POST', '/emit', { body: failed(order.id) });
    await call(shipping.url, 'POST', '/emit', { body: failed(randomUUID()) });
    const marker = await placeConfirmed(h);
    await call(shipping.url, 'POST', '/emit', { body: failed(marker.order.id) });
    await waitFor(
      async () =>
        (await call(h.svc.url, 'GET', `${API}/${marker.order.id}`, { token: marker.token })).json?.status === 'CANCELLED',
      { what: 'marker cancelled' },
    );
    assert.deepEqual(await h.events(order.id), ['OrderPlaced', 'OrderConfirmed', 'OrderCancelled']);
    const dead = await h.query<{ n: number }>('select count(*)::int as n from souk_dead_letter');
    assert.equal(dead[0]!.n, 0);
  });

  test('the saga-hook routes do not exist unless ORDERS_TEST_HOOKS is on', async () => {
    const admin = await h.tokenFor(randomUUID(), ['admin']);
    assert.equal((await call(h.svc.adminUrl, 'GET', '/_admin/saga-hooks', { token: admin })).status, 404);
  });
});

describe('test hook: pause the saga before a step', () => {
  let h: Harness;
  before(async () => {
    h = await startOrders('hooks', { ORDERS_TEST_HOOKS: 'true' });
  });
  after(async () => {
    await h.close();
  });

  test('admin only; the step must exist', async () => {
    assertProblem(
      await call(h.svc.adminUrl, 'PUT', '/_admin/saga-hooks', {
        token: await h.tokenFor(randomUUID()),
        body: { pauseBefore: null },
      }),
      403,
      'SOUK_AUTH_FORBIDDEN',
    );
    const admin = await h.tokenFor(randomUUID(), ['admin']);
    const res = await call(h.svc.adminUrl, 'PUT', '/_admin/saga-hooks', { token: admin, body: { pauseBefore: 'chargeTwice' } });
    assertProblem(res, 400, 'SOUK_ORDERS_UNKNOWN_STEP');
    assert.ok(res.json.steps.includes('authorizePayment') && res.json.steps.includes('reserveStock.compensate'));
    assertProblem(
      await call(h.svc.adminUrl, 'PUT', '/_admin/saga-hooks', { token: admin, body: {} }),
      400,
      'SOUK_REQUEST_INVALID',
    );
  });

  test('a paused saga waits before the step, shows in GET, goes on when the pause is lifted', async () => {
    const admin = await h.tokenFor(randomUUID(), ['admin']);
    assert.equal(
      (await call(h.svc.adminUrl, 'PUT', '/_admin/saga-hooks', { token: admin, body: { pauseBefore: 'confirmOrder' } })).json
        .pauseBefore,
      'confirmOrder',
    );
    const token = await h.tokenFor(randomUUID());
    const placed = await call(h.svc.url, 'POST', API, { token, headers: { 'idempotency-key': randomUUID(), prefer: 'wait=1' } });
    assert.equal(placed.status, 202, 'still PENDING after waiting a second');
    const hooks = await waitFor(
      async () => {
        const r = (await call(h.svc.adminUrl, 'GET', '/_admin/saga-hooks', { token: admin })).json;
        return r.paused.some((p: { sagaId: string }) => p.sagaId === placed.json.id) && r;
      },
      { what: 'paused' },
    );
    assert.equal(hooks.paused.find((p: { sagaId: string }) => p.sagaId === placed.json.id).step, 'confirmOrder');
    const saga = (await call(h.svc.url, 'GET', `${API}/${placed.json.id}/saga`, { token })).json;
    assert.equal(saga.currentStep, 'confirmOrder');
    assert.deepEqual(
      saga.steps.map((s: { status: string }) => s.status),
      ['SUCCEEDED', 'SUCCEEDED', 'PENDING', 'PENDING'],
    );

    await call(h.svc.adminUrl, 'PUT', '/_admin/saga-hooks', { token: admin, body: { pauseBefore: null } });
    await waitFor(
      async () => (await call(h.svc.url, 'GET', `${API}/${placed.json.id}`, { token })).json?.status === 'CONFIRMED',
      { what: 'confirmed' },
    );
    assert.deepEqual((await call(h.svc.adminUrl, 'GET', '/_admin/saga-hooks', { token: admin })).json, {
      pauseBefore: null,
      paused: [],
    });
  });

  test('a restart clears the pause (it is kept in memory) and the saga resumes where it stopped', async () => {
    let admin = await h.tokenFor(randomUUID(), ['admin']);
    await call(h.svc.adminUrl, 'PUT', '/_admin/saga-hooks', { token: admin, body: { pauseBefore: 'authorizePayment' } });
    const token = await h.tokenFor(randomUUID());
    const placed = await call(h.svc.url, 'POST', API, { token, headers: { 'idempotency-key': randomUUID() } });
    await waitFor(
      async () => (await call(h.svc.adminUrl, 'GET', '/_admin/saga-hooks', { token: admin })).json.paused.length > 0,
      {
        what: 'paused',
      },
    );

    await h.restart();
    admin = await h.tokenFor(randomUUID(), ['admin']);
    assert.equal((await call(h.svc.adminUrl, 'GET', '/_admin/saga-hooks', { token: admin })).json.pauseBefore, null);
    await waitFor(
      async () => (await call(h.svc.url, 'GET', `${API}/${placed.json.id}`, { token })).json?.status === 'CONFIRMED',
      { what: 'confirmed after restart' },
    );
    const saga = (await call(h.svc.url, 'GET', `${API}/${placed.json.id}/saga`, { token })).json;
    assert.deepEqual(
      saga.steps.map((s: { attempts: number }) => s.attempts),
      [1, 1, 1, 1],
      'reserveStock was not repeated',
    );
  });
});
