// Identity's addresses from configuration: the registry's list for a pinned service is never used,
// everything else (other services, the registration) is the registry client's own.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseUrlList, pinServices } from './pinned-discovery.ts';
import { staticDiscovery } from './static-discovery.ts';

test("a pinned service's instances are the configured URLs, whatever the discovery lists", () => {
  const listed = staticDiscovery({ identity: ['https://127.0.0.1:6666'], catalog: ['https://127.0.0.1:4100'] });
  const registered: string[] = [];
  const registry = { ...listed, register: async (self: { instanceId: string }) => void registered.push(self.instanceId) };
  const pinned = pinServices(registry, { identity: ['https://127.0.0.1:4001', 'https://127.0.0.1:4002'] });
  assert.deepEqual(
    pinned.instances('identity').map((i) => i.url),
    ['https://127.0.0.1:4001', 'https://127.0.0.1:4002'],
  );
  assert.deepEqual(
    pinned.instances('catalog').map((i) => i.url),
    ['https://127.0.0.1:4100'],
  );
  assert.equal(pinned.instances('cart').length, 0);
  void pinned.register({ instanceId: 'orders-1' });
  assert.deepEqual(registered, ['orders-1']);
});

test('IDENTITY_URL: one base URL or several, each checked', () => {
  assert.deepEqual(parseUrlList('IDENTITY_URL', 'https://127.0.0.1:4001'), ['https://127.0.0.1:4001']);
  assert.deepEqual(parseUrlList('IDENTITY_URL', ' https://a:1/ , http://b:2,'), ['https://a:1', 'http://b:2']);
  assert.throws(() => parseUrlList('IDENTITY_URL', ','), /IDENTITY_URL: no URL/);
  assert.throws(() => parseUrlList('IDENTITY_URL', 'https://a:1,nope'), /IDENTITY_URL: "nope" is not a URL/);
  assert.throws(() => parseUrlList('IDENTITY_URL', 'ftp://a:1'), /must be http or https/);
  assert.throws(() => parseUrlList('IDENTITY_URL', 'https://a:1/jwks'), /must be a base URL/);
});
