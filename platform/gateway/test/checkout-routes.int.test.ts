// The checkout services behind the gateway: which routes need a token, which
// are not reachable at all, a burst of checkouts from many users, and the
// longer wait a checkout may ask for with `Prefer: wait`.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestIssuer } from '@souk/chassis/testing';
import { createUserIssuer, echo, internalTokenOf, problemOf, startGateway, startUpstream, type Upstream } from './harness.ts';

const UPSTREAM_TIMEOUT_MS = 150;
const SERVICES = ['cart', 'orders', 'shipping', 'order-history', 'recommendations', 'inventory', 'payments'] as const;
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

let issuer: TestIssuer;
const upstreams = new Map<string, Upstream>();
let gateway: Awaited<ReturnType<typeof startGateway>>;

before(async () => {
  issuer = await createUserIssuer();
  for (const name of SERVICES) {
    upstreams.set(
      name,
      await startUpstream((req, res) => {
        // A checkout that takes longer than the gateway's usual timeout (the service waits for its saga).
        if (name === 'orders' && req.headers['x-test-delay-ms']) {
          setTimeout(() => echo(req, res), Number(req.headers['x-test-delay-ms']));
          return;
        }
        if (name === 'orders' && req.method === 'POST') {
          res.writeHead(201, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: 'CONFIRMED', idempotencyKey: req.headers['idempotency-key'] }));
          return;
        }
        echo(req, res);
      }),
    );
  }
  gateway = await startGateway({ services: Object.fromEntries([...upstreams].map(([name, u]) => [name, [u.url]])), issuer });
});

after(async () => {
  await gateway.stop();
  await Promise.all([...upstreams.values()].map((u) => u.close()));
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${gateway.url}${path}`, { headers });

test("a user's cart, orders, shipments and history need a token, and get the internal one it is exchanged for", async () => {
  const token = await issuer.token({ sub: uuid(1) });
  for (const [path, service] of [
    ['/api/v1/cart', 'cart'],
    ['/api/v1/orders', 'orders'],
    [`/api/v1/shipments/${uuid(2)}`, 'shipping'],
    ['/api/v1/order-history', 'order-history'],
  ] as const) {
    const anonymous = await get(path);
    assert.equal(anonymous.status, 401, path);
    assert.equal((await problemOf(anonymous)).code, 'SOUK_AUTH_TOKEN_MISSING');
    const res = await get(path, { authorization: `Bearer ${token}` });
    assert.equal(res.status, 200, path);
    await res.arrayBuffer();
    assert.equal(upstreams.get(service)!.received.at(-1)?.url, path);
    assert.equal(internalTokenOf(upstreams.get(service)!.received.at(-1)!).sub, uuid(1));
  }
});

test('anonymous reads: recommendations, stock levels', async () => {
  for (const [path, service] of [
    [`/api/v1/recommendations?productId=${uuid(3)}&limit=4`, 'recommendations'],
    ['/api/v1/recommendations/bestsellers?limit=4', 'recommendations'],
    [`/api/v1/inventory/${uuid(3)}`, 'inventory'],
    [`/api/v1/inventory?productIds=${uuid(3)},${uuid(4)}`, 'inventory'],
  ] as const) {
    const res = await get(path);
    assert.equal(res.status, 200, path);
    await res.arrayBuffer();
    assert.equal(upstreams.get(service)!.received.at(-1)?.url, path);
  }
});

test('the history lag is not served at the edge, with a token or without', async () => {
  const before = upstreams.get('order-history')!.received.length;
  const customer = await issuer.token({ sub: uuid(7) });
  const callers: Record<string, string>[] = [{}, { authorization: `Bearer ${customer}` }];
  for (const headers of callers) {
    const res = await get('/api/v1/order-history/lag', headers);
    assert.equal(res.status, 404);
    assert.equal((await problemOf(res)).code, 'SOUK_ROUTE_NOT_FOUND');
  }
  assert.equal(upstreams.get('order-history')!.received.length, before);
});

test("stock writes need a token at the gateway; the role is inventory's to check", async () => {
  const put = (headers: Record<string, string>) =>
    fetch(`${gateway.url}/api/v1/inventory/${uuid(5)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ onHand: 10 }),
    });
  const anonymous = await put({});
  assert.equal(anonymous.status, 401);
  const customer = await issuer.token({ sub: uuid(6) });
  const res = await put({ authorization: `Bearer ${customer}` });
  assert.equal(res.status, 200);
  const seen = upstreams.get('inventory')!.received.at(-1)!;
  assert.equal(seen.method, 'PUT');
  assert.equal(internalTokenOf(seen).sub, uuid(6));
});

test('internal APIs are not public: payments and stock reservations are unknown paths, whatever the token', async () => {
  const service = await issuer.token({ sub: 'orders', scopes: ['payments:authorize', 'payments:read', 'inventory:reserve'] });
  const before = { payments: upstreams.get('payments')!.received.length, inventory: upstreams.get('inventory')!.received.length };
  for (const [method, path] of [
    ['POST', `/api/v1/payments/${uuid(7)}/authorize`],
    ['GET', `/api/v1/payments/${uuid(7)}`],
    ['PUT', `/api/v1/inventory/reservations/${uuid(8)}`],
    ['POST', `/api/v1/inventory/reservations/${uuid(8)}/release`],
    ['GET', `/api/v1/inventory/reservations/${uuid(8)}`],
  ]) {
    const res = await fetch(`${gateway.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${service}`, 'content-type': 'application/json' },
      ...(method === 'GET' ? {} : { body: '{}' }),
    });
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.equal((await problemOf(res)).code, 'SOUK_ROUTE_NOT_FOUND');
  }
  // Percent-encoding a letter must not smuggle an internal path past the prefix rule (the upstream would decode it).
  for (const path of [`/api/v1/inventory/%72eservations/${uuid(8)}`, `/api/v1/inventory/%52eservations/${uuid(8)}`]) {
    const res = await fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${service}` } });
    assert.equal(res.status, 400, path);
    assert.equal((await problemOf(res)).code, 'SOUK_REQUEST_INVALID');
  }
  // An encoded prefix matches no route at all.
  assert.equal(
    (
      await fetch(`${gateway.url}/api/v1/%69nventory/reservations/${uuid(8)}`, {
        headers: { authorization: `Bearer ${service}` },
      })
    ).status,
    404,
  );
  assert.equal(upstreams.get('payments')!.received.length, before.payments);
  assert.equal(upstreams.get('inventory')!.received.length, before.inventory);
});

test('200 checkouts at once from 200 users: none refused by the gateway', async () => {
  const orders = upstreams.get('orders')!;
  const before = orders.received.length;
  const tokens = await Promise.all(Array.from({ length: 200 }, (_, i) => issuer.token({ sub: uuid(1000 + i) })));
  const answers = await Promise.all(
    tokens.map(async (token, i) => {
      const res = await fetch(`${gateway.url}/api/v1/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'idempotency-key': `checkout-${i}`, 'content-type': 'application/json' },
        body: JSON.stringify({ paymentMethod: 'tok_visa' }),
      });
      return { status: res.status, body: (await res.json()) as { idempotencyKey?: string } };
    }),
  );
  const statuses = new Map<number, number>();
  for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
  assert.deepEqual([...statuses], [[201, 200]]);
  // Each answer is its own request's: the Idempotency-Key went upstream and the answer came back to the right client.
  assert.deepEqual(
    answers.map((a) => a.body.idempotencyKey),
    tokens.map((_, i) => `checkout-${i}`),
  );
  assert.equal(orders.received.length - before, 200);
  assert.equal(new Set(orders.received.slice(before).map((r) => r.headers.authorization)).size, 200);
});

test('Prefer: wait gives a checkout that long on top of the usual timeout; without it the usual one applies', async (t) => {
  // A gateway of its own with a short usual timeout (the others keep the default: a burst of 200 on a busy
  // machine must not time out).
  const impatientGateway = await startGateway({
    services: { orders: [upstreams.get('orders')!.url] },
    env: { GATEWAY_UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS) },
    issuer,
  });
  t.after(() => impatientGateway.stop());
  const token = await issuer.token({ sub: uuid(9) });
  // An answer after 2 s is too late for the usual 150 ms timeout and in time with wait=3 (3.15 s).
  const checkout = (prefer?: string) =>
    fetch(`${impatientGateway.url}/api/v1/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'idempotency-key': `slow-${prefer ?? 'none'}`,
        'content-type': 'application/json',
        'x-test-delay-ms': '2000',
        ...(prefer ? { prefer } : {}),
      },
      body: '{}',
    });
  const [waited, impatient] = await Promise.all([checkout('wait=3'), checkout()]);
  assert.equal(waited.status, 200);
  await waited.arrayBuffer();
  assert.equal(impatient.status, 504);
  const problem = await problemOf(impatient);
  assert.equal(problem.code, 'SOUK_GATEWAY_UPSTREAM_TIMEOUT');
  assert.match(problem.detail, new RegExp(`within ${UPSTREAM_TIMEOUT_MS} ms`));
});
