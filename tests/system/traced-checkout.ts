// One checkout whose trace is recorded whatever the devhost's sampling: the caller sends a sampled
// `traceparent`, which every service follows (parent-based sampling). For the telemetry and console tests.

import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Shop } from './shop-client.ts';

/** Signs a new shopper up, puts one unit of `product` in the cart and checks out; returns the trace id. */
export async function tracedCheckout(s: Shop, product: string, name = 'Traced'): Promise<{ traceId: string; orderId: string }> {
  const shopper = await s.signUp(name);
  const added = await s.addToCart(shopper.token, product, 1);
  assert.ok([200, 201].includes(added.status), JSON.stringify(added.body));
  const traceId = randomBytes(16).toString('hex');
  const placed = await s.api('/api/v1/orders', {
    method: 'POST',
    token: shopper.token,
    headers: {
      'idempotency-key': randomUUID(),
      prefer: 'wait=20',
      traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
    },
    body: '{}',
  });
  assert.equal(placed.status, 201, JSON.stringify(placed.body));
  assert.equal(placed.body.status, 'CONFIRMED');
  return { traceId, orderId: placed.body.id as string };
}
