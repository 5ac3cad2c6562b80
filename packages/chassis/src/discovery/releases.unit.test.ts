import { test } from 'node:test';
import assert from 'node:assert/strict';
import { internalInstances, releaseOf } from './releases.ts';
import { testInstance as instance } from '../testing/instances.ts';

test('an instance without release metadata is stable', () => {
  assert.equal(releaseOf(instance('a')), 'stable');
  assert.equal(releaseOf(instance('b', 'canary')), 'canary');
});

test('internal calls go to the stable instances, or to all when none is stable', () => {
  const mixed = Object.freeze([instance('a'), instance('b', 'canary'), instance('c', 'stable')]);
  assert.deepEqual(
    internalInstances(mixed).map((i) => i.instanceId),
    ['a', 'c'],
  );
  // Computed once per list.
  assert.equal(internalInstances(mixed), internalInstances(mixed));
  const stableOnly = [instance('a')];
  assert.equal(internalInstances(stableOnly), stableOnly);
  const noStable = [instance('b', 'blue'), instance('g', 'green')];
  assert.equal(internalInstances(noStable), noStable);
});
