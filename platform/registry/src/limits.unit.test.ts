// The registry's limits as pure rules: metadata counted in keys and UTF-8
// bytes, capacity per service and in all (re-registration always allowed),
// and the watcher gate's per-address and total counts with idempotent release.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSoukError } from '@souk/chassis';
import { checkCapacity, checkMetadata, createWatcherGate, type RegistryLimits } from './limits.ts';

const limits: RegistryLimits = {
  maxInstancesPerService: 2,
  maxInstances: 3,
  maxMetadataKeys: 2,
  maxMetadataBytes: 8,
  maxWatchers: 3,
  maxWatchersPerAddress: 2,
};
const refusedWith = (code: string) => (err: unknown) => isSoukError(err) && err.code === code;

test('metadata: keys and bytes (keys count too) at the limit pass, one more is refused', () => {
  checkMetadata(undefined, limits);
  checkMetadata({ ab: 'cd', ef: 'gh' }, limits);
  assert.throws(() => checkMetadata({ a: '', b: '', c: '' }, limits), refusedWith('SOUK_REGISTRY_METADATA_TOO_LARGE'));
  assert.throws(() => checkMetadata({ abcd: 'efghi' }, limits), refusedWith('SOUK_REGISTRY_METADATA_TOO_LARGE'));
  assert.throws(() => checkMetadata({ k: 'éééé' }, limits), refusedWith('SOUK_REGISTRY_METADATA_TOO_LARGE'));
});

test('capacity: a new instance past the per-service or total cap is a 429 with Retry-After; a known one is not', () => {
  const state = (owners: Record<string, string>) => ({
    serviceOf: (id: string) => owners[id],
    counts: () => {
      const counts = new Map<string, number>();
      for (const s of Object.values(owners)) counts.set(s, (counts.get(s) ?? 0) + 1);
      return counts;
    },
  });
  const two = state({ 'c-1': 'catalog', 'c-2': 'catalog' });
  checkCapacity({ service: 'catalog', instanceId: 'c-2' }, two, limits, 10);
  assert.throws(
    () => checkCapacity({ service: 'catalog', instanceId: 'c-3' }, two, limits, 10),
    (err: unknown) => refusedWith('SOUK_REGISTRY_SERVICE_FULL')(err) && (err as { status: number }).status === 429,
  );
  const full = state({ 'c-1': 'catalog', 'c-2': 'catalog', 'x-1': 'cart' });
  assert.throws(
    () => checkCapacity({ service: 'orders', instanceId: 'o-1' }, full, limits, 10),
    refusedWith('SOUK_REGISTRY_FULL'),
  );
  // An instance id moving to another service counts as new there.
  assert.throws(
    () => checkCapacity({ service: 'catalog', instanceId: 'x-1' }, full, limits, 10),
    refusedWith('SOUK_REGISTRY_SERVICE_FULL'),
  );
});

test('watchers: per address, then in all; a release frees the slot once, however often it is called', () => {
  const gate = createWatcherGate(limits);
  const a1 = gate.enter('10.0.0.1');
  gate.enter('10.0.0.1');
  assert.throws(() => gate.enter('10.0.0.1'), refusedWith('SOUK_REGISTRY_TOO_MANY_WATCHERS'));
  gate.enter('10.0.0.2');
  assert.throws(() => gate.enter('10.0.0.3'), refusedWith('SOUK_REGISTRY_TOO_MANY_WATCHERS'));
  assert.equal(gate.held(), 3);
  a1();
  a1();
  assert.equal(gate.held(), 2);
  gate.enter('10.0.0.3');
  assert.throws(() => gate.enter('10.0.0.1'), refusedWith('SOUK_REGISTRY_TOO_MANY_WATCHERS'));
});
