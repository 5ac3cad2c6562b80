// Who may read a producer's feed: a service token with `events:read:<producer>`
// only. Anyone else gets problem+json (401 without a token, 403 without the
// scope, before the query is even looked at), and a consumer whose client is
// granted the scope reads and handles the events as before.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventsReadScope, FEED_PATH, type FeedPage } from '../../src/index.ts';
import { assertProblem, call } from '../../src/testing/index.ts';
import { scenarioFor } from './conformance.ts';
import type { Transport } from './harness.ts';

const feed: Transport = { name: 'feed', env: () => ({}), cleanup: async () => {}, replay: async (_s, c) => c };

test('the feed answers 401 without a token, 403 without events:read:<producer>, 200 with it', async (t) => {
  const s = await scenarioFor(t, feed, 'auth');
  await s.startProducer();
  assert.equal((await s.emit({ from: 0, count: 3 })).status, 200);
  const path = `${FEED_PATH}?after=0&limit=100`;
  const withToken = (token: string) => call(s.producerUrl, 'GET', path, { token });
  const serviceToken = (scopes: string[]) => s.issuer.token({ sub: 'svc-other', clientId: 'svc-other', roles: [], scopes });

  assertProblem(await call(s.producerUrl, 'GET', path), 401, 'SOUK_AUTH_TOKEN_MISSING');
  // A bad query from a stranger is still a 401: nothing about the route's input is told first.
  assertProblem(await call(s.producerUrl, 'GET', `${FEED_PATH}?after=-1`), 401, 'SOUK_AUTH_TOKEN_MISSING');

  // Another producer's feed scope, capabilities of other kinds, an admin user: none reads this feed.
  assertProblem(await withToken(await serviceToken([eventsReadScope('someone-else')])), 403, 'SOUK_AUTH_FORBIDDEN');
  assertProblem(await withToken(await serviceToken(['payments:refund', 'orders:read'])), 403, 'SOUK_AUTH_FORBIDDEN');
  assertProblem(await withToken(await s.issuer.token({ roles: ['admin'] })), 403, 'SOUK_AUTH_FORBIDDEN');
  assertProblem(
    await withToken(await serviceToken([eventsReadScope(s.producer)]).then((t) => `${t.slice(0, -4)}AAAA`)),
    401,
    'SOUK_AUTH_TOKEN_INVALID',
  );

  const allowed = await withToken(await serviceToken([eventsReadScope(s.producer)]));
  assert.equal(allowed.status, 200);
  const page = allowed.json as FeedPage;
  assert.deepEqual(
    page.events.map((e) => (e.data as { n: number }).n),
    [0, 1, 2],
  );
});

test('a consumer whose client is granted events:read:<producer> reads the feed with its own token', async (t) => {
  const s = await scenarioFor(t, feed, 'authc');
  await s.startProducer();
  await s.startConsumer();
  assert.equal((await s.emit({ from: 0, count: 12 })).status, 200);
  await s.waitForEffects(12);
  assert.deepEqual(
    (await s.effects()).map((e) => e.n),
    Array.from({ length: 12 }, (_, i) => i),
  );
});
