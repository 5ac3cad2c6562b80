import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketOf, planOf, route, sideOf } from './policy.ts';
import { testInstance as instance } from '@souk/chassis/testing';

const stable = instance('s1');
const canary = instance('c1', 'canary');
const green = instance('g1', 'green');
const listed = Object.freeze([stable, canary, green]);
const users = Array.from({ length: 2000 }, (_, i) => `user u${i}`);

test('a canary takes its weight of users, each always on the same side', () => {
  const plan = planOf({ canary: { weight: 20 } });
  const onCanary = users.filter((u) => route(plan, listed, u).release === 'canary');
  // FNV-1a spreads the callers evenly: 20 % ± 3 points of 2,000.
  assert.ok(Math.abs(onCanary.length / users.length - 0.2) < 0.03, `${onCanary.length} of ${users.length}`);
  for (const u of users.slice(0, 100)) assert.equal(route(plan, listed, u).release, route(plan, listed, u).release);
  const routed = route(plan, listed, onCanary[0]!);
  assert.deepEqual(routed.instances, [canary]);
  assert.deepEqual(routed.spare, [stable], 'a failed canary attempt is retried on the stable side');
});

test('raising the weight only adds users to the canary', () => {
  const at10 = new Set(users.filter((u) => route(planOf({ canary: { weight: 10 } }), listed, u).release === 'canary'));
  const at30 = new Set(users.filter((u) => route(planOf({ canary: { weight: 30 } }), listed, u).release === 'canary'));
  for (const u of at10) assert.ok(at30.has(u), u);
  assert.ok(at30.size > at10.size);
});

test('weight 0 and 100; a canary with no instance running sends its users to the stable side', () => {
  assert.ok(users.every((u) => route(planOf({ canary: { weight: 0 } }), listed, u).release === 'stable'));
  assert.ok(users.every((u) => route(planOf({ canary: { weight: 100 } }), listed, u).release === 'canary'));
  assert.ok(users.every((u) => route(planOf({ canary: { weight: 100 } }), [stable], u).release === 'stable'));
});

test('blue/green: the active release takes every user; with none of it running, the stable instances do', () => {
  const routed = route(planOf({ active: 'green' }), listed, 'user a');
  assert.equal(routed.release, 'green');
  assert.deepEqual(routed.instances, [green]);
  assert.deepEqual(route(planOf({ active: 'green' }), [stable, canary], 'user a').instances, [stable]);
  assert.equal(route(planOf({}), listed, 'user a').release, 'stable');
});

test('buckets are 0-99 and spread', () => {
  const counts = new Array<number>(10).fill(0);
  for (const u of users) {
    const b = bucketOf(u);
    assert.ok(b >= 0 && b < 100);
    counts[Math.floor(b / 10)]!++;
  }
  for (const c of counts) assert.ok(c > 140 && c < 260, String(counts));
});

test('the side a caller is meant for (the response cache key) agrees with the route while the instances run', () => {
  for (const plan of [planOf({ canary: { weight: 30 } }), planOf({ active: 'green' }), planOf({})])
    for (const u of users.slice(0, 200)) assert.equal(sideOf(plan, u), route(plan, listed, u).release, u);
});
