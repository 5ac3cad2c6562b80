// What makes two requests the same for an Idempotency-Key: method, path and
// body, whatever the order of the body's fields.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, fingerprint } from './idempotency-store.ts';

test('canonical JSON sorts keys at every depth and leaves arrays in order', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [2, 1], c: null } }), '{"a":{"c":null,"d":[2,1]},"b":1}');
  assert.equal(canonicalJson({ a: undefined, b: 'x' }), '{"b":"x"}');
  assert.equal(canonicalJson(undefined), 'null');
});

test('the fingerprint changes with the method, the path or the body, not with field order', () => {
  const base = fingerprint('POST', '/v1/refunds', { captureId: 'cap_1', amount: 5 });
  assert.equal(fingerprint('post', '/v1/refunds', { amount: 5, captureId: 'cap_1' }), base);
  assert.notEqual(fingerprint('POST', '/v1/refunds', { captureId: 'cap_1', amount: 6 }), base);
  assert.notEqual(fingerprint('POST', '/v1/authorizations', { captureId: 'cap_1', amount: 5 }), base);
  assert.notEqual(fingerprint('PUT', '/v1/refunds', { captureId: 'cap_1', amount: 5 }), base);
});
