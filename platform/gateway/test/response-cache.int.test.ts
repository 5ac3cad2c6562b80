// The gateway's response cache in front of a real catalog: anonymous reads answered at the edge with the
// service's ETag (304 on If-None-Match), a price change seen on the next reads because catalog's event
// emptied the cache (the page's max-age is a minute), hits and misses counted in /metrics.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventsReadScope, type RunningService } from '@souk/chassis';
import { call, waitFor } from '@souk/chassis/testing';
import { startCatalog, type Harness } from '../../../services/catalog/test/harness.ts';
import { startGateway } from './harness.ts';

let catalog: Harness;
let gateway: RunningService;
const PAGE = '/api/v1/catalog/products?sort=price&pageSize=3';

before(async () => {
  catalog = await startCatalog('gateway_cache', { EVENTS_FEED_WAIT_MS: '2000' });
  gateway = await startGateway({
    services: { catalog: [catalog.svc.url] },
    env: { GATEWAY_RESPONSE_CACHE: 'on', EVENTS_FEED_WAIT_MS: '2000' },
    serviceToken: catalog.issuer.serviceToken('svc-gateway', [eventsReadScope('catalog')]),
  });
});
after(async () => {
  await gateway.stop();
  await catalog.close();
});

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${gateway.adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  if (line === undefined)
    throw new Error(
      `no ${name} in /metrics:\n${text
        .split('\n')
        .filter((l) => l.includes('cache'))
        .join('\n')}`,
    );
  return Number(line.split(' ').at(-1));
}

test('an anonymous read is answered from the cache with the ETag; If-None-Match gets a 304', async () => {
  // The cache keeps nothing until it has read catalog's feed to its end.
  await waitFor(
    async () => (await fetch(`${gateway.url}${PAGE}`).then(async (r) => (await r.arrayBuffer(), r))).headers.has('age'),
    {
      timeoutMs: 10_000,
      what: 'a page answered from the cache',
    },
  );
  const hitsBefore = await metric('souk_gateway_cache_requests_total{outcome="hit"');
  const hit = await fetch(`${gateway.url}${PAGE}`);
  const body = (await hit.json()) as { items: unknown[] };
  assert.equal(hit.status, 200);
  assert.match(hit.headers.get('age') ?? '', /^\d+$/);
  assert.equal(hit.headers.get('cache-control'), 'public, max-age=60');
  // v1 is deprecated: a hit says so as catalog does.
  assert.match(hit.headers.get('sunset') ?? '', /GMT$/);
  assert.match(hit.headers.get('link') ?? '', /rel="successor-version"/);
  const tag = hit.headers.get('etag')!;
  assert.match(tag, /^"[\w-]{27}"$/);
  assert.equal(body.items.length, 3);

  const notModified = await fetch(`${gateway.url}${PAGE}`, { headers: { 'if-none-match': tag } });
  assert.equal(notModified.status, 304);
  assert.equal(await notModified.text(), '');
  assert.equal(notModified.headers.get('etag'), tag);
  assert.equal(await metric('souk_gateway_cache_requests_total{outcome="hit"'), hitsBefore + 2);

  // A signed-in read is never answered from the cache.
  const signedIn = await fetch(`${gateway.url}${PAGE}`, { headers: { authorization: 'Basic eDp5' } });
  await signedIn.arrayBuffer();
  assert.equal(signedIn.headers.get('age'), null);
});

test("after a price change the next reads show the new price: catalog's event emptied the cache", async () => {
  const before = (await (await fetch(`${gateway.url}${PAGE}`)).json()) as { items: { id: string; priceCents: number }[] };
  const cheapest = before.items[0]!;
  const changed = await call(catalog.svc.url, 'PATCH', `/api/v1/catalog/products/${cheapest.id}`, {
    token: catalog.adminToken,
    body: { priceCents: cheapest.priceCents + 1, priceChangeReason: 'cache test' },
  });
  assert.equal(changed.status, 200, JSON.stringify(changed.json));
  // Well within the page's max-age (60 s): only the event can have emptied it.
  await waitFor(
    async () => {
      const page = (await (await fetch(`${gateway.url}${PAGE}`)).json()) as { items: { id: string; priceCents: number }[] };
      return page.items.find((p) => p.id === cheapest.id)?.priceCents === cheapest.priceCents + 1;
    },
    { timeoutMs: 10_000, what: 'the new price through the gateway' },
  );
  assert.ok((await metric('souk_gateway_cache_requests_total{outcome="miss"')) >= 2);
});
