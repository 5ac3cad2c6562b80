// STATIC_SERVICES parsing and the fixed-list discovery built from it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStaticServices, staticDiscovery } from './static-discovery.ts';

test('parses services separated by ; and URLs by ,', () => {
  assert.deepEqual(parseStaticServices('identity=http://a:1,http://b:2;catalog=http://c:3'), {
    identity: ['http://a:1', 'http://b:2'],
    catalog: ['http://c:3'],
  });
});

test('tolerates whitespace, empty segments and trailing slashes', () => {
  assert.deepEqual(parseStaticServices(' identity = http://a:1/ , http://b:2 ;; catalog=http://c:3/api/ ;'), {
    identity: ['http://a:1', 'http://b:2'],
    catalog: ['http://c:3/api'],
  });
  assert.deepEqual(parseStaticServices(''), {});
});

test('rejects malformed entries with a message naming the problem', () => {
  assert.throws(() => parseStaticServices('identity'), /"identity" is not of the form name=url/);
  assert.throws(() => parseStaticServices('=http://a'), /not of the form/);
  assert.throws(() => parseStaticServices('identity='), /service "identity" has no URL/);
  assert.throws(() => parseStaticServices('identity=not a url'), /"not a url" \(service "identity"\) is not a URL/);
  assert.throws(() => parseStaticServices('identity=ftp://a'), /must be http or https/);
  assert.throws(() => parseStaticServices('a=http://x;a=http://y'), /listed twice/);
  assert.throws(() => parseStaticServices('bad name=http://x'), /not a valid service name/);
});

test('static discovery lists each URL as an instance and nothing for unknown services', async () => {
  const discovery = staticDiscovery(parseStaticServices('catalog=http://c1:3,http://c2:4/'));
  await discovery.ready();
  const list = discovery.instances('catalog');
  assert.deepEqual(
    list.map((i) => [i.instanceId, i.url, i.service, i.weight]),
    [
      ['http://c1:3', 'http://c1:3', 'catalog', 100],
      ['http://c2:4', 'http://c2:4', 'catalog', 100],
    ],
  );
  assert.equal(discovery.instances('cart').length, 0);
  assert.ok(Object.isFrozen(list));
  const off = discovery.onChange(() => assert.fail('never changes'));
  off();
  await discovery.close();
});
