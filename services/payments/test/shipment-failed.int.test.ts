// Choreography: a shipping producer (a stand-in with the real ShipmentFailed
// contract and the chassis outbox) announces a failed shipment; payments reads
// its feed and gives the order's money back on its own: the captured payment
// refunded once at the provider, PaymentRefunded published.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { defineService, startService, type RunningService } from '@souk/chassis';
import { createTestDatabase, type TestDatabase } from '@souk/chassis/testing';
import { ShipmentFailed } from '@souk/shipping/contract';
import { API, authorizeBody, call, issuer, startPayments, waitFor, type Harness } from './harness.ts';

let shippingDb: TestDatabase;
let shipping: RunningService;
let h: Harness;

const shippingStandIn = defineService({
  name: 'shipping',
  version: '0.0.0-test',
  migrations: {},
  events: { publishes: [ShipmentFailed] },
  setup(ctx) {
    ctx.app.post('/test/shipment-failed', async (request) => {
      const data = request.body as ShipmentFailed;
      await ctx.db.transaction().execute((trx) => ctx.events.publish(trx, ShipmentFailed, data, { subject: data.orderId }));
      return { ok: true };
    });
  },
});

before(async () => {
  shippingDb = await createTestDatabase('payments_shipping');
  shipping = await startService(shippingStandIn, { env: { DATABASE_URL: shippingDb.url, LOG_LEVEL: 'silent' } });
  shipping.ctx.auth.setKeySource(issuer.keySource);
  // Short held polls and retries: the test waits for handling, not for timers.
  h = await startPayments('payments_choreography', {
    services: { shipping: shipping.url },
    env: { EVENTS_FEED_WAIT_MS: '1000', EVENTS_RETRY_BASE_MS: '50' },
  });
});
after(async () => {
  // Shipping first: it answers payments' held poll as it drains.
  await shipping?.stop();
  await h?.close();
  await shippingDb?.drop();
});

async function shipmentFailed(orderId: string) {
  const res = await call(shipping.url, 'POST', '/test/shipment-failed', {
    body: {
      orderId,
      shipmentId: randomUUID(),
      reasonCode: 'CARRIER_REFUSED',
      reason: 'the carrier refused the parcel',
      failedAt: new Date().toISOString(),
    },
  });
  assert.equal(res.status, 200, res.text);
}
const statusOf = async (id: string) => (await h.get(`${API}/${id}`)).json.status as string;

test("a failed shipment refunds the order's captured payment once, and voids an authorized one", async () => {
  const capturedOrder = authorizeBody();
  const captured = randomUUID();
  assert.equal((await h.post(`${API}/${captured}/authorize`, capturedOrder)).status, 200);
  assert.equal((await h.post(`${API}/${captured}/capture`)).status, 200);
  const authorizedOrder = authorizeBody();
  const authorized = randomUUID();
  assert.equal((await h.post(`${API}/${authorized}/authorize`, authorizedOrder)).status, 200);

  await shipmentFailed(capturedOrder.orderId);
  await shipmentFailed(authorizedOrder.orderId);
  await shipmentFailed(randomUUID()); // an order without payments: nothing to do, nothing fails
  await waitFor(async () => (await statusOf(captured)) === 'REFUNDED', { what: 'the refund', timeoutMs: 15_000 });
  await waitFor(async () => (await statusOf(authorized)) === 'VOIDED', { what: 'the void', timeoutMs: 15_000 });

  const payment = (await h.get(`${API}/${captured}`)).json;
  assert.equal(payment.refundReason, 'shipment failed (CARRIER_REFUSED): the carrier refused the parcel');
  const ledger = (await h.get(`${API}/${captured}/events`)).json.events;
  assert.equal(ledger.at(-1).type, 'PaymentRefunded');
  assert.equal(ledger.at(-1).metadata.correlationId, capturedOrder.orderId);
  const [announced] = await h.query(
    `select envelope->'data' as data from souk_outbox where type = 'souk.payments.PaymentRefunded' and envelope->>'subject' = $1`,
    [captured],
  );
  assert.equal(announced.data.orderId, capturedOrder.orderId);
  assert.equal(announced.data.amountCents, 4_990);

  // Another announcement for the same order gives nothing back twice.
  await shipmentFailed(capturedOrder.orderId);
  await waitFor(
    async () => {
      const { n } = (
        await h.query<{ n: number }>(`select count(*)::int as n from souk_inbox where type = 'souk.shipping.ShipmentFailed'`)
      )[0]!;
      return n === 4;
    },
    { what: 'the fourth event handled', timeoutMs: 15_000 },
  );
  const charges = await h.provider.charges(captured);
  assert.deepEqual([charges.captures.length, charges.refunds.length, charges.net], [1, 1, 0]);
  assert.equal((await h.provider.charges(authorized)).authorizations[0].status, 'voided');
  const { parked } = (await h.query<{ parked: number }>('select count(*)::int as parked from souk_dead_letter'))[0]!;
  assert.equal(parked, 0);
});
