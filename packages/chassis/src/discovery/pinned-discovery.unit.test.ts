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

test('an instance the registry lists at a pinned URL lends its id and metadata; the address stays the configured one', () => {
  const entry = (url: string, instanceId: string) => ({
    instanceId,
    service: 'identity',
    url,
    version: '1.2.0',
    zone: 'local',
    weight: 100,
    metadata: { adminUrl: `${url}9` },
  });
  let identity = [entry('https://127.0.0.1:4001', 'identity-1'), entry('https://127.0.0.1:6666', 'rogue')];
  const registry = {
    ...staticDiscovery({ catalog: ['https://127.0.0.1:4100'] }),
    instances: (service: string) => (service === 'identity' ? identity : []),
    services: () => ['catalog', 'identity'],
  };
  const pinned = pinServices(registry, { identity: ['https://127.0.0.1:4001', 'https://127.0.0.1:4002'] });
  const first = pinned.instances('identity');
  assert.deepEqual(
    first.map((i) => [i.instanceId, i.url, i.metadata.adminUrl]),
    [
      ['identity-1', 'https://127.0.0.1:4001', 'https://127.0.0.1:40019'],
      ['https://127.0.0.1:4002', 'https://127.0.0.1:4002', undefined],
    ],
  );
  assert.equal(pinned.instances('identity'), first, 'the same list while the registry’s is unchanged');
  identity = [];
  assert.deepEqual(
    pinned.instances('identity').map((i) => i.instanceId),
    ['https://127.0.0.1:4001', 'https://127.0.0.1:4002'],
  );
  assert.deepEqual(pinned.services(), ['catalog', 'identity']);
});

test('IDENTITY_URL: one base URL or several, each checked', () => {
  assert.deepEqual(parseUrlList('IDENTITY_URL', 'https://127.0.0.1:4001'), ['https://127.0.0.1:4001']);
  assert.deepEqual(parseUrlList('IDENTITY_URL', ' https://a:1/ , http://b:2,'), ['https://a:1', 'http://b:2']);
  assert.throws(() => parseUrlList('IDENTITY_URL', ','), /IDENTITY_URL: no URL/);
  assert.throws(() => parseUrlList('IDENTITY_URL', 'https://a:1,nope'), /IDENTITY_URL: "nope" is not a URL/);
  assert.throws(() => parseUrlList('IDENTITY_URL', 'ftp://a:1'), /must be http or https/);
  assert.throws(() => parseUrlList('IDENTITY_URL', 'https://a:1/jwks'), /must be a base URL/);
});
