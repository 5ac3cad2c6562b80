import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createResponseCache, sharedMaxAgeSeconds } from './cache.ts';

test('what a shared cache may keep, and how long (RFC 9111)', () => {
  assert.equal(sharedMaxAgeSeconds('public, max-age=60'), 60);
  assert.equal(sharedMaxAgeSeconds('max-age=60, s-maxage=5'), 5);
  assert.equal(sharedMaxAgeSeconds('private, max-age=60'), 0);
  assert.equal(sharedMaxAgeSeconds('no-store'), 0);
  assert.equal(sharedMaxAgeSeconds('public, max-age=60, no-cache'), 0);
  assert.equal(sharedMaxAgeSeconds('max-age=abc'), 0);
  assert.equal(sharedMaxAgeSeconds(undefined), 0);
});

const raw = (cacheControl: string, extra: string[] = []) => [
  'Content-Type',
  'application/json',
  'Cache-Control',
  cacheControl,
  'ETag',
  '"v1"',
  'Connection',
  'keep-alive',
  ...extra,
];

function record(cache: ReturnType<typeof createResponseCache>, key: string, status: number, headers: string[], now = 0) {
  const r = cache.recorder(key, () => now);
  r.onHeaders(status, headers);
  r.onData(Buffer.from('{"a":'));
  r.onData(Buffer.from('1}'));
  return r;
}

test('a whole 200 the service lets caches keep is kept for its max-age, with the headers worth sending again', () => {
  const cache = createResponseCache({ maxEntries: 10, maxBodyBytes: 1024, maxTotalBytes: 1 << 20 });
  cache.setActive(true);
  record(cache, '/a', 200, raw('public, max-age=60'), 1_000).onEnd();
  const kept = cache.lookup('/a', 2_000)!;
  assert.equal(kept.body.toString(), '{"a":1}');
  assert.equal(kept.etag, '"v1"');
  assert.deepEqual(kept.headers, { 'content-type': 'application/json', 'cache-control': 'public, max-age=60', etag: '"v1"' });
  assert.equal(cache.lookup('/a', 61_000), undefined, 'expired after max-age');
});

test('not kept: other statuses, private or uncacheable answers, Vary, cookies, large bodies, a broken body', () => {
  const cache = createResponseCache({ maxEntries: 10, maxBodyBytes: 5, maxTotalBytes: 1 << 20 });
  cache.setActive(true);
  record(cache, '/404', 404, raw('public, max-age=60')).onEnd();
  record(cache, '/private', 200, raw('private, max-age=60')).onEnd();
  record(cache, '/vary', 200, raw('public, max-age=60', ['Vary', 'Accept-Language'])).onEnd();
  record(cache, '/cookie', 200, raw('public, max-age=60', ['Set-Cookie', 'a=b'])).onEnd();
  record(cache, '/large', 200, raw('public, max-age=60')).onEnd();
  record(cache, '/broken', 200, raw('public, max-age=60')); // no onEnd: the body broke off
  assert.equal(cache.size(), 0);
});

test('an answer read before a change is not kept after it; nothing is kept while the cache does not hear changes', () => {
  const cache = createResponseCache({ maxEntries: 10, maxBodyBytes: 1024, maxTotalBytes: 1 << 20 });
  cache.setActive(true);
  const before = record(cache, '/a', 200, raw('public, max-age=60'));
  cache.invalidate();
  before.onEnd();
  assert.equal(cache.lookup('/a', 0), undefined);

  record(cache, '/a', 200, raw('public, max-age=60')).onEnd();
  assert.ok(cache.lookup('/a', 0));
  cache.setActive(false);
  assert.equal(cache.lookup('/a', 0), undefined, 'dropped when it stops hearing');
  record(cache, '/a', 200, raw('public, max-age=60')).onEnd();
  assert.equal(cache.size(), 0);
});

test('a retry elsewhere starts the recording over; the oldest entry goes first when full', () => {
  const cache = createResponseCache({ maxEntries: 2, maxBodyBytes: 1024, maxTotalBytes: 1 << 20 });
  cache.setActive(true);
  const r = record(cache, '/a', 200, raw('public, max-age=60'));
  r.onHeaders(200, raw('public, max-age=60'));
  r.onData(Buffer.from('{}'));
  r.onEnd();
  assert.equal(cache.lookup('/a', 0)!.body.toString(), '{}');
  record(cache, '/b', 200, raw('public, max-age=60')).onEnd();
  record(cache, '/c', 200, raw('public, max-age=60')).onEnd();
  assert.equal(cache.lookup('/a', 0), undefined);
  assert.ok(cache.lookup('/c', 0));
});

test('all bodies together stay under their bound: new query strings push the oldest out', () => {
  // Each recorded body is 7 bytes ('{"a":1}'): room for three.
  const cache = createResponseCache({ maxEntries: 100, maxBodyBytes: 1024, maxTotalBytes: 21 });
  cache.setActive(true);
  for (let i = 0; i < 10; i++) record(cache, `/p?x=${i}`, 200, raw('public, max-age=60')).onEnd();
  assert.equal(cache.size(), 3);
  assert.equal(cache.bytes(), 21);
  assert.ok(cache.lookup('/p?x=9', 0));
  assert.equal(cache.lookup('/p?x=6', 0), undefined);
  cache.invalidate();
  assert.equal(cache.bytes(), 0);
});
