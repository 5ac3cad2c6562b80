import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etagMatches, etagOf } from './http-cache.ts';

test('an ETag is a strong hash of the body; If-None-Match matches it in a list, weak or not, or as *', () => {
  const tag = etagOf('{"id":1}');
  assert.match(tag, /^"[A-Za-z0-9_-]{27}"$/);
  assert.equal(etagOf(Buffer.from('{"id":1}')), tag);
  assert.notEqual(etagOf('{"id":2}'), tag);
  assert.equal(etagMatches(tag, tag), true);
  assert.equal(etagMatches(`"other", W/${tag}`, tag), true);
  assert.equal(etagMatches('*', tag), true);
  assert.equal(etagMatches('"other"', tag), false);
  assert.equal(etagMatches(undefined, tag), false);
});
