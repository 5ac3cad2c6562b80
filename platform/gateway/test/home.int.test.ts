// GET /api/v1/home through a running gateway in front of stand-in catalog,
// cart and recommendations upstreams: the agreed shapes, who gets a cart, and
// how each failing or slow part degrades only its own section.

import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { DEFAULT_AUDIENCE } from '@souk/chassis';
import type { TestIssuer } from '@souk/chassis/testing';
import { createUserIssuer, internalTokenOf, problemOf, startGateway, startUpstream, type Upstream } from './harness.ts';

const RECOMMENDATIONS_TIMEOUT_MS = 200;
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const product = (n: number) => ({
  id: uuid(n),
  sku: `SKU-${n}`,
  slug: `product-${n}`,
  name: `Product ${n}`,
  priceCents: 100 * n,
  currency: 'EUR',
  imageUrl: `/img/${n}.jpg`,
});
const USER = uuid(900);

type Mode = 'ok' | 'silent' | 'failing';
let recommendationsMode: Mode = 'ok';
let catalogMode: Mode = 'ok';
let cartMode: Mode = 'ok';
let cartItems: string[] = [];

function misbehave(mode: Mode, res: ServerResponse): boolean {
  if (mode === 'silent') return true;
  if (mode === 'failing') {
    res.writeHead(500, { 'content-type': 'application/problem+json' });
    res.end(JSON.stringify({ type: 'about:blank', title: 'Broken', status: 500, code: 'SOUK_INTERNAL' }));
    return true;
  }
  return false;
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

let issuer: TestIssuer;
let catalog: Upstream;
let cart: Upstream;
let recommendations: Upstream;
let gateway: Awaited<ReturnType<typeof startGateway>>;

before(async () => {
  issuer = await createUserIssuer();
  catalog = await startUpstream((req, res) => {
    if (misbehave(catalogMode, res)) return;
    json(res, { items: [1, 2, 3].map(product), page: 1, pageSize: 3, total: 3, totalPages: 1 });
  });
  cart = await startUpstream((req, res) => {
    if (misbehave(cartMode, res)) return;
    const items = cartItems.map((productId) => ({
      productId,
      name: 'x',
      quantity: 2,
      unitPriceCents: 100,
      currency: 'EUR',
      lineTotalCents: 200,
    }));
    json(res, {
      items,
      itemCount: 2 * items.length,
      totalCents: 200 * items.length,
      currency: 'EUR',
      stale: false,
      expiresAt: null,
    });
  });
  recommendations = await startUpstream((req, res) => {
    if (misbehave(recommendationsMode, res)) return;
    if (req.url.startsWith('/api/v1/recommendations/bestsellers'))
      return json(res, { items: [{ productId: uuid(7), count: 40 }] });
    json(res, { items: [{ productId: uuid(8), count: 3 }] });
  });
  gateway = await startGateway({
    services: { catalog: [catalog.url], cart: [cart.url], recommendations: [recommendations.url] },
    env: {
      GATEWAY_HOME_RECOMMENDATIONS_TIMEOUT_MS: String(RECOMMENDATIONS_TIMEOUT_MS),
      GATEWAY_HOME_CATALOG_TIMEOUT_MS: '1000',
      GATEWAY_HOME_CART_TIMEOUT_MS: '1000',
      BREAKER_FAILURE_THRESHOLD: '2',
    },
    // Users' tokens are checked with the test issuer's keys and exchanged by a stand-in identity.
    issuer,
  });
});

after(async () => {
  await gateway.stop();
  await Promise.all([catalog.close(), cart.close(), recommendations.close()]);
});

beforeEach(() => {
  recommendationsMode = 'ok';
  catalogMode = 'ok';
  cartMode = 'ok';
  cartItems = [];
});

async function home(token?: string): Promise<{ status: number; body: any; ms: number; res: Response }> {
  const started = performance.now();
  const res = await fetch(`${gateway.url}/api/v1/home`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const body = res.headers.get('content-type')?.includes('json') ? await res.clone().json() : await res.clone().text();
  return { status: res.status, body, ms: performance.now() - started, res };
}

describe('healthy', () => {
  test('anonymous: newest products, bestsellers, no cart', async () => {
    const { status, body, res } = await home();
    assert.equal(status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(body.featured.items[0], {
      id: uuid(1),
      slug: 'product-1',
      name: 'Product 1',
      priceCents: 100,
      currency: 'EUR',
      imageUrl: '/img/1.jpg',
    });
    assert.equal(body.cart, null);
    assert.deepEqual(body.recommendations, {
      source: 'bestsellers',
      degraded: false,
      items: [{ productId: uuid(7), name: null, priceCents: null, currency: null, imageUrl: null, count: 40 }],
    });
    assert.deepEqual(body.degraded, []);
    assert.match(catalog.received.at(-1)!.url, /sort=newest/);
    assert.equal(cart.received.length, 0);
  });

  test("a user with items: the cart summary, and recommendations for the cart's products", async () => {
    cartItems = [uuid(1), uuid(2)];
    const token = await issuer.token({ sub: USER });
    const { status, body } = await home(token);
    assert.equal(status, 200);
    assert.deepEqual(body.cart, { itemCount: 4, totalCents: 400, currency: 'EUR', stale: false, productIds: [uuid(1), uuid(2)] });
    // The cart is read with the internal token the user's was exchanged for.
    assert.equal(internalTokenOf(cart.received.at(-1)!).sub, USER);
    assert.equal(body.recommendations.source, 'recommendations');
    assert.equal(body.recommendations.items[0].productId, uuid(8));
    const asked = new URL(recommendations.received.at(-1)!.url, 'http://x');
    assert.equal(asked.pathname, '/api/v1/recommendations');
    assert.equal(asked.searchParams.get('productIds'), `${uuid(1)},${uuid(2)}`);
  });

  test("a bad token is refused as on any route, and so is an internal one (the edge takes users' tokens only)", async () => {
    const bad = await home('not-a-jwt');
    assert.equal(bad.status, 401);
    assert.equal((await problemOf(bad.res)).code, 'SOUK_AUTH_TOKEN_INVALID');
    const service = await home(await issuer.token({ sub: 'svc-orders', scopes: [], audience: DEFAULT_AUDIENCE }));
    assert.equal(service.status, 401);
    assert.equal((await problemOf(service.res)).code, 'SOUK_AUTH_TOKEN_INVALID');
  });

  test('the page is in the OpenAPI document with its schema', async () => {
    const doc = (await (await fetch(`${gateway.url}/openapi.json`)).json()) as any;
    const op = doc.paths['/api/v1/home'].get;
    assert.ok(op.responses['200'].content['application/json'].schema.properties.recommendations);
  });
});

describe('degraded', () => {
  test('recommendations failing after a success: the kept bestsellers, degraded and dated', async () => {
    await home();
    recommendationsMode = 'failing';
    const { status, body } = await home();
    assert.equal(status, 200);
    assert.equal(body.recommendations.source, 'bestsellers-cache');
    assert.equal(body.recommendations.degraded, true);
    assert.ok(!Number.isNaN(Date.parse(body.recommendations.asOf)));
    assert.equal(body.recommendations.items[0].productId, uuid(7));
    assert.deepEqual(body.degraded, ['recommendations']);
    assert.ok(body.featured);
  });

  test('recommendations silent: the fallback within the budget; repeated, the breaker opens and answers come at once', async () => {
    recommendationsMode = 'silent';
    const slow = await home();
    assert.equal(slow.status, 200);
    assert.equal(slow.body.recommendations.degraded, true);
    assert.match(slow.body.recommendations.reason, new RegExp(`within ${RECOMMENDATIONS_TIMEOUT_MS} ms`));
    assert.ok(slow.ms < RECOMMENDATIONS_TIMEOUT_MS + 1_000, `took ${slow.ms} ms`);
    // Each timed-out attempt counts against the instance (threshold 2 here): the breaker opens.
    const open = await (async () => {
      for (let i = 0; i < 5; i++) {
        const r = await home();
        if (/SOUK_CLIENT_CIRCUIT_OPEN/.test(r.body.recommendations.reason)) return r;
      }
      return undefined;
    })();
    assert.ok(open, 'the breaker never opened');
    assert.equal(open.body.recommendations.source, 'bestsellers-cache');
    const snapshot = (await (
      await fetch(`${gateway.adminUrl}/_admin/resilience`, {
        // The gateway's own admin routes take internal tokens, like every service's.
        headers: { authorization: `Bearer ${await issuer.token({ roles: ['admin'], audience: DEFAULT_AUDIENCE })}` },
      })
    ).json()) as any;
    const breaker = snapshot.breakers.find((b: { service: string }) => b.service === 'recommendations');
    assert.equal(breaker?.state, 'open');
  });

  test('catalog failing: no featured section, the rest whole', async () => {
    catalogMode = 'failing';
    const { status, body } = await home();
    assert.equal(status, 200);
    assert.equal(body.featured, null);
    assert.deepEqual(body.degraded.includes('featured'), true);
    assert.ok(body.recommendations);
  });

  test('cart failing: no cart section, never a 5xx', async () => {
    cartMode = 'failing';
    const { status, body } = await home(await issuer.token({ sub: USER }));
    assert.equal(status, 200);
    assert.equal(body.cart, null);
    assert.ok(body.degraded.includes('cart'));
    assert.ok(body.featured);
  });
});

test('tokens cannot be checked (identity unreachable): the page without the cart, not a 5xx', async (t) => {
  // A gateway whose discovery lists no identity: its verifier cannot fetch keys.
  const lonely = await startGateway({ services: { catalog: [catalog.url], recommendations: [recommendations.url] } });
  t.after(() => lonely.stop());
  const res = await fetch(`${lonely.url}/api/v1/home`, {
    headers: { authorization: `Bearer ${await issuer.token({ sub: USER })}` },
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as any;
  assert.equal(body.cart, null);
  assert.deepEqual(body.degraded, ['cart']);
});
