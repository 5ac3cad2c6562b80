import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTokenCache } from './token-cache.ts';

const identity = { subject: 'u1', roles: ['customer'], scopes: [] };
const at = (seconds: number) => seconds * 1000;

test('an entry counts from nbf (inclusive) to exp (exclusive), in whole seconds as jose counts', () => {
  const cache = createTokenCache(10);
  cache.set('t', { identity, kid: 'k1', exp: 200, nbf: 100 });
  assert.equal(cache.get('t', at(99) + 999), undefined, 'not yet valid');
  assert.deepEqual(cache.get('t', at(100)), identity);
  assert.deepEqual(cache.get('t', at(199) + 999), identity);
  assert.equal(cache.get('t', at(200)), undefined, 'expired');
  assert.equal(cache.size, 0, 'an expired entry is dropped when met');
});

test('it never holds more than its size, whatever number of tokens goes in', () => {
  const cache = createTokenCache(100);
  for (let i = 0; i < 1_000; i++) cache.set(`token-${i}`, { identity, kid: 'k1', exp: 1_000 });
  assert.equal(cache.size, 100);
  assert.equal(cache.get('token-899', 0), undefined);
  assert.deepEqual(cache.get('token-999', 0), identity);
});

test('retainKeys keeps only the tokens of the keys named', () => {
  const cache = createTokenCache(10);
  cache.set('a', { identity, kid: 'k1', exp: 1_000 });
  cache.set('b', { identity, kid: 'k2', exp: 1_000 });
  cache.retainKeys(new Set(['k2', 'k3']));
  assert.equal(cache.get('a', 0), undefined);
  assert.deepEqual(cache.get('b', 0), identity);
});

test('what it hands out is a copy over frozen claims', () => {
  const cache = createTokenCache(10);
  cache.set('t', { identity: { ...identity, roles: ['customer'] }, kid: 'k1', exp: 1_000 });
  const got = cache.get('t', 0)!;
  got.subject = 'changed';
  assert.throws(() => (got.roles as string[]).push('admin'), TypeError);
  assert.deepEqual(cache.get('t', 0), identity);
});
