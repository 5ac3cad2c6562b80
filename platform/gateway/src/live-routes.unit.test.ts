import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLiveRouter, refusedRoute } from './live-routes.ts';
import { routes, localApiPrefixes } from './routes.ts';

test('a route from the setting is added, or replaces the one in code with its prefix', () => {
  const router = createLiveRouter(routes, localApiPrefixes);
  assert.equal(router.match('/api/v1/reviews/p-1').kind, 'unknown');
  const refused = router.configure([
    { prefix: '/api/v1/reviews', service: 'reviews', access: { publicMethods: ['GET'] } },
    { prefix: '/api/v1/recommendations', service: 'recommendations', access: 'token' },
  ]);
  assert.deepEqual(refused, []);
  const added = router.match('/api/v1/reviews/p-1');
  assert.equal(added.kind === 'route' && added.route.service, 'reviews');
  const replaced = router.match('/api/v1/recommendations/bestsellers');
  assert.equal(replaced.kind === 'route' && replaced.route.access, 'token');
  assert.equal(router.routes().length, routes.length + 1);
  // Dropped from the setting: back to the code's table.
  router.configure(undefined);
  assert.equal(router.match('/api/v1/reviews/p-1').kind, 'unknown');
});

test('routes that would break the edge are left out, with the reason', () => {
  const route = (prefix: string, service = 'reviews') => ({ prefix, service, access: 'public' as const });
  assert.match(refusedRoute(route('/admin/x'), localApiPrefixes)!, /not a path under \/api\//);
  assert.match(refusedRoute(route('/api/v1/reviews/'), localApiPrefixes)!, /not a path under/);
  assert.match(refusedRoute(route('/api/v1/home'), localApiPrefixes)!, /overlaps the gateway's own/);
  assert.match(refusedRoute(route('/api/v1/pay', 'payments'), localApiPrefixes)!, /payments is not served to the public/);
  assert.match(refusedRoute(route('/api/v1/x', 'Bad_Name'), localApiPrefixes)!, /not a service name/);
  const router = createLiveRouter(routes, localApiPrefixes);
  assert.equal(router.configure([route('/api/v1/pay', 'payments'), route('/api/v1/reviews')]).length, 1);
  assert.equal(router.match('/api/v1/reviews').kind, 'route');
});
