// The cancellation job does not wait for the poll: the NOTIFY its enqueue
// sends in the ShipmentFailed inbox transaction wakes the jobs runner as soon
// as that transaction has committed. The poll interval here is a minute, so
// only that wake can refund in time.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  API,
  authorizeBody,
  startPayments,
  startShippingStandIn,
  waitFor,
  type Harness,
  type ShippingStandIn,
} from './harness.ts';

let shipping: ShippingStandIn;
let h: Harness;

before(async () => {
  shipping = await startShippingStandIn('payments_wake_shipping');
  h = await startPayments('payments_wake', {
    services: { shipping: shipping.url },
    env: { EVENTS_FEED_WAIT_MS: '1000', PAYMENTS_CANCELLATION_POLL_MS: '60000' },
  });
});
after(async () => {
  await shipping?.stop();
  await h?.close();
});

test("the handler's commit wakes the jobs runner: refunded within seconds although the poll is a minute away", async () => {
  const body = authorizeBody();
  const id = randomUUID();
  assert.equal((await h.post(`${API}/${id}/authorize`, body)).status, 200);
  assert.equal((await h.post(`${API}/${id}/capture`)).status, 200);
  await shipping.shipmentFailed(body.orderId);
  await waitFor(async () => (await h.get(`${API}/${id}`)).json.status === 'REFUNDED', { what: 'the refund', timeoutMs: 10_000 });
  assert.equal((await h.provider.charges(id)).refunds.length, 1);
});
