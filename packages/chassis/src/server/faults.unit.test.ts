import { test } from 'node:test';
import assert from 'node:assert/strict';
import { faultable, faultsFor } from './faults.ts';

test('faults apply to the releases named, or to every instance', () => {
  assert.deepEqual(faultsFor({ errorRate: 0.3 }, 'stable'), { errorRate: 0.3, delayMs: 0 });
  assert.deepEqual(faultsFor({ errorRate: 0.3, releases: ['canary'] }, 'canary'), { errorRate: 0.3, delayMs: 0 });
  assert.equal(faultsFor({ errorRate: 0.3, releases: ['canary'] }, 'stable'), undefined);
  assert.deepEqual(faultsFor({ delayMs: 200 }, 'stable'), { errorRate: 0, delayMs: 200 });
});

test('no setting, or one of zeros, injects nothing', () => {
  assert.equal(faultsFor(undefined, 'stable'), undefined);
  assert.equal(faultsFor({}, 'stable'), undefined);
  assert.equal(faultsFor({ errorRate: 0, delayMs: 0 }, 'stable'), undefined);
});

test('only the public API takes faults', () => {
  assert.equal(faultable('/api/v1/catalog/products'), true);
  for (const url of ['/health/ready', '/metrics', '/_events?after=0', '/_admin/config', '/openapi.json'])
    assert.equal(faultable(url), false, url);
});
