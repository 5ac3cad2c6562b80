// The simulation's run-time controls: admins only, values checked (a rate
// outside 0..1 is a 400 problem), partial updates (PATCH), configuration as default (DELETE back to it).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertProblem, call, startShipping, type Harness } from './harness.ts';

let h: Harness;
const PATH = '/_admin/shipping/behaviour';

before(async () => {
  h = await startShipping('shipping_behaviour', { SHIPPING_FAILURE_RATE: '0.25', SHIPPING_DELAY_MS: '1500' });
});
after(async () => {
  await h?.close();
});

const patch = (body: unknown, token: string | null = h.adminToken) =>
  call(h.svc.adminUrl, 'PATCH', PATH, { body, ...(token ? { token } : {}) });

test('the configuration applies until an admin changes it', async () => {
  const res = await call(h.svc.adminUrl, 'GET', PATH, { token: h.adminToken });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, { failureRate: 0.25, delayMs: 1500, updatedAt: null });
});

test('admins only: 401 without a token (before the body is looked at), 403 for a customer or a service', async () => {
  assertProblem(await patch({ failureRate: 7 }, null), 401, 'SOUK_AUTH_TOKEN_MISSING');
  assertProblem(await call(h.svc.adminUrl, 'GET', PATH), 401, 'SOUK_AUTH_TOKEN_MISSING');
  assertProblem(await patch({ failureRate: 0.5 }, await h.issuer.token()), 403, 'SOUK_AUTH_FORBIDDEN');
  assertProblem(await patch({ failureRate: 0.5 }, h.readerToken), 403, 'SOUK_AUTH_FORBIDDEN');
});

test('bad values are 400 problems naming the field', async () => {
  for (const body of [
    { failureRate: 1.5 },
    { failureRate: -0.1 },
    { failureRate: '0.5' },
    { delayMs: -1 },
    { delayMs: 1.5 },
    { delayMs: 86_400_001 },
    {},
    { failureRate: 0.5, carrier: 'dhl' },
    [],
    null,
  ]) {
    const res = await patch(body);
    assertProblem(res, 400, 'SOUK_REQUEST_INVALID');
  }
  const res = await patch({ failureRate: 2 });
  assert.ok(
    res.json.errors.some((e: { path: string }) => e.path === '/failureRate'),
    res.text,
  );
  assertProblem(
    await call(h.svc.adminUrl, 'PATCH', PATH, { token: h.adminToken, rawBody: '{"failureRate":' }),
    400,
    'SOUK_REQUEST_MALFORMED_JSON',
  );
});

test('a change applies at once; fields left out keep their value', async () => {
  const rate = await patch({ failureRate: 1 });
  assert.equal(rate.status, 200, rate.text);
  assert.equal(rate.json.failureRate, 1);
  assert.equal(rate.json.delayMs, 1500);
  assert.equal(rate.json.updatedAt, new Date(h.clock.now()).toISOString());
  const delay = await patch({ delayMs: 0 });
  assert.deepEqual([delay.json.failureRate, delay.json.delayMs], [1, 0]);
  assert.deepEqual((await call(h.svc.adminUrl, 'GET', PATH, { token: h.adminToken })).json, delay.json);
});

test('DELETE goes back to the configuration, for admins only', async () => {
  await patch({ failureRate: 1, delayMs: 0 });
  assertProblem(await call(h.svc.adminUrl, 'DELETE', PATH), 401, 'SOUK_AUTH_TOKEN_MISSING');
  assertProblem(await call(h.svc.adminUrl, 'DELETE', PATH, { token: await h.issuer.token() }), 403, 'SOUK_AUTH_FORBIDDEN');
  const back = await call(h.svc.adminUrl, 'DELETE', PATH, { token: h.adminToken });
  assert.equal(back.status, 200, back.text);
  assert.deepEqual(back.json, { failureRate: 0.25, delayMs: 1500, updatedAt: null });
  assert.deepEqual((await call(h.svc.adminUrl, 'GET', PATH, { token: h.adminToken })).json, back.json);
});
