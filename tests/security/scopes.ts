// Least privilege against the running devhost (issue 11): every OAuth client
// holds only the capabilities it uses. The least trusted process (the
// payment-provider stand-in, a third party) cannot refund, reserve or read
// anyone's order or event feed with its client's token; feeds refuse readers
// without a token or without `events:read:<producer>`; and a checkout, whose
// saga and choreography run on exactly the granted scopes, still completes.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { waitFor } from '@souk/chassis/testing';
import type { Devhost } from '../system/devhost-harness.ts';
import type { SecurityRun } from './run.ts';
import { readClientSecret } from '../../tools/devhost/src/secrets.ts';
import { json, shop, type Shop } from '../system/shop-client.ts';

export function scopeAttacks(run: SecurityRun): void {
  let devhost: Devhost;
  let s: Shop;
  before(() => {
    devhost = run.devhost;
    s = shop(devhost.gateway);
  });
  const instance = (service: string) => run.instanceUrl(service);

  /** A call straight to an instance: with the devhost's client certificate (instances take mTLS callers only). */
  const direct = (url: string, init: Parameters<typeof json>[1] = {}) => json(url, { ...init, fetch: devhost.fetch });

  /** A client_credentials token of the service's own client `svc-<service>`, as that process would get it. */
  async function clientToken(service: string, scope?: string): Promise<{ status: number; token?: string; body: any }> {
    const clientId = `svc-${service}`;
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: await readClientSecret(join(devhost.dataDir, 'secrets'), clientId),
      ...(scope ? { scope } : {}),
    });
    const res = await json(`${devhost.gateway}/api/v1/identity/oauth/token`, {
      method: 'POST',
      body: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    return { status: res.status, body: res.body, ...(res.status === 200 ? { token: res.body.access_token as string } : {}) };
  }

  const problem = (res: { status: number; body: any; headers: Headers }, status: number, code: string) => {
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(res.body.code, code);
  };

  test("the payment provider's client has no capability: a refund is 403, asking identity for the scope is invalid_scope", async () => {
    const provider = await clientToken('payment-provider');
    assert.equal(provider.status, 200, JSON.stringify(provider.body));
    assert.equal(decodeJwt(provider.token!).scope, '', 'a token, but with no scope');
    const refund = await direct(`${instance('payments')}/api/v1/payments/${randomUUID()}/refund`, {
      method: 'POST',
      token: provider.token!,
      body: JSON.stringify({ reason: 'stolen money back' }),
    });
    problem(refund, 403, 'SOUK_AUTH_FORBIDDEN');
    const reserve = await direct(`${instance('inventory')}/api/v1/inventory/reservations/${randomUUID()}`, {
      method: 'PUT',
      token: provider.token!,
      body: JSON.stringify({ orderId: randomUUID(), items: [{ productId: randomUUID(), quantity: 1 }] }),
    });
    problem(reserve, 403, 'SOUK_AUTH_FORBIDDEN');
    const asked = await clientToken('payment-provider', 'payments:refund');
    assert.deepEqual([asked.status, asked.body.error], [400, 'invalid_scope']);
  });

  test('orders may cancel a payment (its compensation) but not refund one outright; the gateway reads only catalog, the registries nothing', async () => {
    const orders = await clientToken('orders');
    const scopes = String(decodeJwt(orders.token!).scope).split(' ');
    assert.ok(scopes.includes('payments:cancel') && !scopes.includes('payments:refund'), scopes.join(' '));
    const refund = await direct(`${instance('payments')}/api/v1/payments/${randomUUID()}/refund`, {
      method: 'POST',
      token: orders.token!,
      body: JSON.stringify({ reason: 'not orders to decide' }),
    });
    problem(refund, 403, 'SOUK_AUTH_FORBIDDEN');
    for (const service of ['registry', 'schema-registry']) {
      const granted = await clientToken(service);
      assert.equal(granted.status, 200, `${service}: ${JSON.stringify(granted.body)}`);
      assert.equal(decodeJwt(granted.token!).scope, '', `${service} is granted nothing`);
    }
    // The gateway's own token reads catalog's feed (its response cache empties on product events) and sets its own
    // releases setting at the config server (the canary analysis), nothing more.
    const gateway = await clientToken('gateway');
    assert.deepEqual(String(decodeJwt(gateway.token!).scope).split(' ').sort(), ['config:releases:write', 'events:read:catalog']);
    problem(
      await direct(`${instance('identity')}/_events?after=0&limit=10`, { token: gateway.token! }),
      403,
      'SOUK_AUTH_FORBIDDEN',
    );
  });

  test('event feeds: 401 without a token, 403 without events:read:<producer>, 200 for a granted consumer', async () => {
    // identity's feed carries every sign-up's email and name.
    const anonymous = await direct(`${instance('identity')}/_events?after=0&limit=10`);
    problem(anonymous, 401, 'SOUK_AUTH_TOKEN_MISSING');
    const provider = await clientToken('payment-provider');
    const orders = await direct(`${instance('orders')}/_events?after=0&limit=10`, { token: provider.token! });
    problem(orders, 403, 'SOUK_AUTH_FORBIDDEN');
    // orders reads catalog's and shipping's feeds, not identity's.
    const ordersClient = await clientToken('orders');
    problem(
      await direct(`${instance('identity')}/_events?after=0&limit=10`, { token: ordersClient.token! }),
      403,
      'SOUK_AUTH_FORBIDDEN',
    );
    // A customer's token is no service's either: refused as it is (services take internal tokens only), and
    // exchanged for an internal one it still lacks the scope.
    const shopper = await s.signUp('Mallory');
    const url = `${instance('identity')}/_events?after=0&limit=10`;
    problem(await direct(url, { token: shopper.token }), 401, 'SOUK_AUTH_TOKEN_INVALID');
    problem(await direct(url, { token: await devhost.internalToken(shopper.token) }), 403, 'SOUK_AUTH_FORBIDDEN');
    const notifications = await clientToken('notifications');
    const feed = await direct(`${instance('identity')}/_events?after=0&limit=1000`, { token: notifications.token! });
    assert.equal(feed.status, 200, JSON.stringify(feed.body));
    assert.ok(
      feed.body.events.some((e: any) => e.data.email === shopper.email),
      'the granted consumer reads the sign-up',
    );
  });

  test('a checkout completes on the granted scopes alone: saga calls, then every consumer of the choreography', async () => {
    const admin = await s.login('admin@souk.local', await devhost.secret('admin-password'));
    const product = ((await s.api('/api/v1/catalog/products?pageSize=1')).body.items as { id: string }[])[0]!.id;
    assert.equal((await s.setStock(admin, product, 5)).status, 200);
    const shopper = await s.signUp('Shopper');
    assert.ok([200, 201].includes((await s.addToCart(shopper.token, product, 1)).status));
    const placed = await s.checkout(shopper.token, { waitSeconds: 20 });
    assert.ok([201, 202].includes(placed.status), JSON.stringify(placed.body));
    const order = await waitFor(
      async () => {
        const o = (await s.order(shopper.token, placed.body.id)).body;
        return o.status === 'CONFIRMED' || o.status === 'CANCELLED' ? o : undefined;
      },
      { timeoutMs: 30_000, what: 'the order to be final' },
    );
    // Reserve, authorize and capture: orders' token with inventory:reserve, payments:authorize and payments:capture.
    assert.equal(order.status, 'CONFIRMED', JSON.stringify(order));
    // Shipping (inventory, payments, orders feeds) ships; order-history (four feeds) shows it; cart (orders feed) empties.
    await waitFor(
      async () => {
        const entry = (await s.history(shopper.token)).body.items?.find((o: any) => o.orderId === order.id);
        return entry?.payment?.status === 'CAPTURED' && entry?.shipping?.status === 'SHIPPED' ? entry : undefined;
      },
      { timeoutMs: 30_000, what: 'order history to show the order captured and shipped' },
    );
    await waitFor(async () => ((await s.cart(shopper.token)).body.itemCount === 0 ? true : undefined), {
      timeoutMs: 20_000,
      what: 'the cart to be emptied (cart reads the orders feed)',
    });
    // notifications reads the orders and identity feeds.
    const kinds = await waitFor(
      async () => {
        const items = (await s.notifications(shopper.token)).body.items as { kind: string }[];
        return items.length >= 2 ? items.map((n) => n.kind) : undefined;
      },
      { timeoutMs: 20_000, what: 'the welcome and the confirmation messages' },
    );
    assert.ok(kinds.includes('welcome'), kinds.join(','));
  });
}
