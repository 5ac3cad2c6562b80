// Route table matching: prefixes at segment boundaries, unknown API paths,
// local paths, access rules and dot segments.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createRouter,
  encodesUnreserved,
  hasDotSegment,
  localApiPrefixes,
  preferredWaitSeconds,
  requiresToken,
  routes,
  type GatewayRoute,
} from './routes.ts';

const router = createRouter(routes, localApiPrefixes);

function routed(target: string): string | undefined {
  const m = router.match(target);
  return m.kind === 'route' ? m.route.service : m.kind;
}

test('API paths go to the service named by their prefix, query or not', () => {
  assert.equal(routed('/api/v1/catalog/products/42'), 'catalog');
  assert.equal(routed('/api/v1/catalog/products?q=tea&page=2'), 'catalog');
  assert.equal(routed('/api/v1/catalog'), 'catalog');
  assert.equal(routed('/api/v1/catalog?x=1'), 'catalog');
  assert.equal(routed('/api/v1/identity/token'), 'identity');
  assert.equal(routed('/api/v1/notifications'), 'notifications');
  assert.equal(routed('/api/v1/notifications?limit=5'), 'notifications');
  assert.equal(routed('/api/v1/notifications/0b0e6c1e-8f5c-4f3c-9a57-1d2f3e4a5b6c/read'), 'notifications');
  assert.equal(routed('/api/v1/notificationsx'), 'unknown');
});

test('well-known documents go to identity', () => {
  assert.equal(routed('/.well-known/jwks.json'), 'identity');
  assert.equal(routed('/.well-known/openid-configuration'), 'identity');
});

test('a prefix matches only at a segment boundary', () => {
  assert.equal(routed('/api/v1/catalogue/x'), 'unknown');
  assert.equal(routed('/api/v1/catalog-admin'), 'unknown');
});

test('API paths no route owns are unknown; everything else is local', () => {
  assert.equal(routed('/api/v1/nothing/here'), 'unknown');
  assert.equal(routed('/api/v3/catalog/products'), 'unknown');
  assert.equal(routed('/api/v2/catalog/products'), 'catalog', 'v2 of the catalogue is routed beside v1');
  assert.equal(routed('/api/'), 'unknown');
  assert.equal(routed('/health/ready'), 'local');
  // Handed to Fastify, which serves them on the admin listener only (a 404 on the public one).
  assert.equal(routed('/metrics'), 'local');
  assert.equal(routed('/_admin/resilience'), 'local');
  assert.equal(routed('/apix'), 'local');
});

test('the longest prefix wins', () => {
  const table: GatewayRoute[] = [
    { prefix: '/api/v1/catalog', service: 'catalog', access: 'public' },
    { prefix: '/api/v1/catalog/search', service: 'search', access: 'public' },
  ];
  const r = createRouter(table);
  const m = r.match('/api/v1/catalog/search?q=1');
  assert.equal(m.kind === 'route' && m.route.service, 'search');
});

test('a malformed prefix is refused when the table is built', () => {
  assert.throws(() => createRouter([{ prefix: '/api/v1/x/', service: 'x', access: 'public' }]));
  assert.throws(() => createRouter([{ prefix: 'api/v1/x', service: 'x', access: 'public' }]));
});

test('catalog reads are public, its writes need a token; identity is public', () => {
  const catalog = routes.find((r) => r.service === 'catalog')!;
  const identity = routes.find((r) => r.prefix === '/api/v1/identity')!;
  assert.equal(requiresToken(catalog, 'GET'), false);
  assert.equal(requiresToken(catalog, 'HEAD'), false);
  assert.equal(requiresToken(catalog, 'POST'), true);
  assert.equal(requiresToken(catalog, 'DELETE'), true);
  assert.equal(requiresToken(identity, 'POST'), false);
  assert.equal(requiresToken({ prefix: '/x', service: 'x', access: 'token' }, 'GET'), true);
});

test('notifications need a token for every method', () => {
  const notifications = routes.find((r) => r.service === 'notifications')!;
  for (const method of ['GET', 'HEAD', 'POST']) assert.equal(requiresToken(notifications, method), true, method);
});

test('dot segments are detected, also percent-encoded, but not dots inside names', () => {
  assert.equal(hasDotSegment('/api/v1/catalog/../identity/x'), true);
  assert.equal(hasDotSegment('/api/v1/catalog/./x'), true);
  assert.equal(hasDotSegment('/api/v1/catalog/%2e%2E/x'), true);
  assert.equal(hasDotSegment('/api/v1/catalog/..'), true);
  assert.equal(hasDotSegment('/api/v1/catalog/products/a.b'), false);
  assert.equal(hasDotSegment('/api/v1/catalog/.hidden'), false);
  assert.equal(hasDotSegment('/.well-known/jwks.json'), false);
  assert.equal(hasDotSegment('/api/v1/catalog/x?path=../y'), false);
  assert.equal(hasDotSegment('/api/v1/catalog/a%20b'), false);
});

test('percent-encoded letters, digits and -._~ in the path are detected; other escapes and the query are not', () => {
  assert.equal(encodesUnreserved('/api/v1/inventory/%72eservations/x'), true);
  assert.equal(encodesUnreserved('/api/v1/%49nventory'), true);
  assert.equal(encodesUnreserved('/api/v1/catalog/a%7Eb'), true);
  assert.equal(encodesUnreserved('/api/v1/catalog/a%30'), true);
  assert.equal(encodesUnreserved('/api/v1/catalog/a%20b'), false);
  assert.equal(encodesUnreserved('/api/v1/catalog/a%2Fb'), false);
  assert.equal(encodesUnreserved('/api/v1/catalog/caf%C3%A9'), false);
  assert.equal(encodesUnreserved('/api/v1/catalog/products?q=%72'), false);
  assert.equal(encodesUnreserved('/api/v1/catalog/products'), false);
});

test('the checkout services are routed by their prefixes', () => {
  assert.equal(routed('/api/v1/cart'), 'cart');
  assert.equal(routed('/api/v1/cart/items/0b0e6c1e-8f5c-4f3c-9a57-1d2f3e4a5b6c'), 'cart');
  assert.equal(routed('/api/v1/orders?limit=5'), 'orders');
  assert.equal(routed('/api/v1/orders/0b0e6c1e-8f5c-4f3c-9a57-1d2f3e4a5b6c/saga'), 'orders');
  assert.equal(routed('/api/v1/shipments/0b0e6c1e-8f5c-4f3c-9a57-1d2f3e4a5b6c'), 'shipping');
  assert.equal(routed('/api/v1/order-history'), 'order-history');
  assert.equal(routed('/api/v1/recommendations?productId=x&limit=3'), 'recommendations');
  assert.equal(routed('/api/v1/recommendations/bestsellers'), 'recommendations');
  assert.equal(routed('/api/v1/inventory?productIds=a,b'), 'inventory');
  assert.equal(routed('/api/v1/inventory/0b0e6c1e-8f5c-4f3c-9a57-1d2f3e4a5b6c'), 'inventory');
});

test('internal APIs are not reachable from outside: payments, the provider, reservations', () => {
  assert.equal(routed('/api/v1/payments/0b0e6c1e-8f5c-4f3c-9a57-1d2f3e4a5b6c/authorize'), 'unknown');
  assert.equal(routed('/v1/authorizations'), 'local');
  assert.equal(routed('/api/v1/payment-provider/v1/authorizations'), 'unknown');
  assert.equal(routed('/api/v1/inventory/reservations/0b0e6c1e-8f5c-4f3c-9a57-1d2f3e4a5b6c'), 'unknown');
  assert.equal(routed('/api/v1/inventory/reservations'), 'unknown');
  assert.equal(routed('/api/v1/inventory/reservations?x=1'), 'unknown');
  // The read model's lag is an operator's figure: the order-history service serves it, the edge does not.
  assert.equal(routed('/api/v1/order-history/lag'), 'unknown');
  assert.equal(routed('/api/v1/order-history/lag?x=1'), 'unknown');
  // Only the reservations segment itself: a product id that merely starts with it is stock.
  assert.equal(routed('/api/v1/inventory/reservationsx'), 'inventory');
});

test("the home page is the gateway's own route, not proxied", () => {
  assert.equal(routed('/api/v1/home'), 'local');
  assert.equal(routed('/api/v1/home?x=1'), 'local');
  assert.equal(routed('/api/v1/homes'), 'unknown');
});

test('who needs a token on the checkout routes and the config server', () => {
  const route = (prefix: string) => routes.find((r) => r.prefix === prefix)!;
  assert.equal(routed('/api/v1/config/services/catalog/history'), 'config');
  for (const prefix of [
    '/api/v1/cart',
    '/api/v1/orders',
    '/api/v1/shipments',
    '/api/v1/order-history',
    '/api/v1/config',
    '/api/v1/telemetry',
  ]) {
    for (const method of ['GET', 'POST', 'DELETE'])
      assert.equal(requiresToken(route(prefix), method), true, `${method} ${prefix}`);
  }
  assert.equal(requiresToken(route('/api/v1/recommendations'), 'GET'), false);
  assert.equal(requiresToken(route('/api/v1/inventory'), 'GET'), false);
  assert.equal(requiresToken(route('/api/v1/inventory'), 'HEAD'), false);
  assert.equal(requiresToken(route('/api/v1/inventory'), 'PUT'), true);
  assert.equal(requiresToken(route('/api/v1/inventory/reservations'), 'GET'), true);
});

test('Prefer: wait is read only where the service honours it, and capped', () => {
  const orders = routes.find((r) => r.service === 'orders')!;
  const catalog = routes.find((r) => r.service === 'catalog')!;
  assert.equal(preferredWaitSeconds(orders, 'wait=10'), 10);
  assert.equal(preferredWaitSeconds(orders, 'respond-async, wait=5'), 5);
  assert.equal(preferredWaitSeconds(orders, 'return=minimal; wait = "7"'), 7);
  assert.equal(preferredWaitSeconds(orders, ['handling=lenient', 'wait=3']), 3);
  assert.equal(preferredWaitSeconds(orders, 'wait=3600'), 30);
  assert.equal(preferredWaitSeconds(orders, 'await=9'), 0);
  assert.equal(preferredWaitSeconds(orders, 'wait=soon'), 0);
  assert.equal(preferredWaitSeconds(orders, undefined), 0);
  assert.equal(preferredWaitSeconds(catalog, 'wait=10'), 0);
});
