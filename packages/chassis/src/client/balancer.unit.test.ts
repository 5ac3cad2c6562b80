// The balancer: round robin, skipping rejected and already-tried instances, and weights.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceInstance } from '../discovery/types.ts';
import { Balancer } from './balancer.ts';

function inst(instanceId: string, weight = 100): ServiceInstance {
  return { instanceId, service: 'catalog', url: `http://${instanceId}`, version: '1', zone: 'local', weight, metadata: {} };
}

function picks(balancer: Balancer, list: ServiceInstance[], n: number, options = {}): string[] {
  return Array.from({ length: n }, () => balancer.pick(list, options)?.instanceId ?? '-');
}

test('equal weights go round robin', () => {
  const list = [inst('a'), inst('b'), inst('c')];
  assert.deepEqual(picks(new Balancer(), list, 6), ['a', 'b', 'c', 'a', 'b', 'c']);
});

test('instances the predicate rejects are skipped', () => {
  const list = [inst('a'), inst('b'), inst('c')];
  const accept = (i: ServiceInstance) => i.instanceId !== 'b';
  assert.deepEqual(picks(new Balancer(), list, 4, { accept }), ['a', 'c', 'a', 'c']);
});

test('nothing is picked when every instance is rejected or there is none', () => {
  const balancer = new Balancer();
  assert.equal(balancer.pick([inst('a')], { accept: () => false }), undefined);
  assert.equal(balancer.pick([]), undefined);
});

test('instances already tried in this call are avoided while another is left', () => {
  const balancer = new Balancer();
  const list = [inst('a'), inst('b'), inst('c')];
  for (let i = 0; i < 6; i++) {
    const picked = balancer.pick(list, { tried: new Set(['a', 'b']) });
    assert.equal(picked?.instanceId, 'c');
  }
  const second = balancer.pick(list, { tried: new Set(['a']) });
  assert.notEqual(second?.instanceId, 'a');
});

test('when every instance was tried, one is picked again (a single instance can be retried)', () => {
  const balancer = new Balancer();
  assert.equal(balancer.pick([inst('only')], { tried: new Set(['only']) })?.instanceId, 'only');
  const both = balancer.pick([inst('a'), inst('b')], { tried: new Set(['a', 'b']) });
  assert.ok(both);
});

test('weights share traffic in proportion, spread out rather than in bursts', () => {
  const sequence = picks(new Balancer(), [inst('a', 300), inst('b', 100)], 8);
  assert.equal(sequence.filter((id) => id === 'a').length, 6);
  assert.equal(sequence.filter((id) => id === 'b').length, 2);
  assert.ok(!sequence.join('').includes('aaaa'), sequence.join(''));
});

test('weight 0 gets no traffic while a weighted instance is available, and is used when alone', () => {
  const balancer = new Balancer();
  const list = [inst('draining', 0), inst('live', 100)];
  assert.deepEqual(picks(balancer, list, 3), ['live', 'live', 'live']);
  assert.deepEqual(picks(balancer, list, 2, { accept: (i: ServiceInstance) => i.instanceId === 'draining' }), [
    'draining',
    'draining',
  ]);
  assert.deepEqual(picks(new Balancer(), [inst('x', 0), inst('y', 0)], 4), ['x', 'y', 'x', 'y']);
});

test('a long-lived balancer forgets instances that left', () => {
  const balancer = new Balancer();
  for (let i = 0; i < 100; i++) balancer.pick([inst(`old-${i}`), inst(`old-${i}-b`)]);
  balancer.pick([inst('a'), inst('b')]);
  const scores = (balancer as unknown as { scores: Map<string, number> }).scores;
  assert.ok(scores.size <= 12, `kept ${scores.size} scores`);
});
