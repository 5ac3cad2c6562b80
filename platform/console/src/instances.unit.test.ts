// The instances page's rows: the registry's instances and the devhost's processes, merged by instance id.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testInstance } from '@souk/chassis/testing';
import type { ProcessView } from './devhost-control.ts';
import { mergeInstances } from './instances.ts';

const process = (instanceId: string, service: string, state: ProcessView['state']): ProcessView => ({
  instanceId,
  service,
  state,
  pid: state === 'killed' ? null : 7,
  restarts: 1,
  startedAt: null,
  url: `https://127.0.0.1/${instanceId}`,
  adminUrl: `https://127.0.0.1/${instanceId}/admin`,
});

test('a registered instance carries its process; a process the registry does not list gets a row of its own', () => {
  const registered = [
    { ...testInstance('payments-2', 'canary', 'payments'), metadata: { adminUrl: 'https://a', release: 'canary' } },
    testInstance('catalog-1'),
  ];
  const rows = mergeInstances(registered, [
    process('payments-2', 'payments', 'ready'),
    process('payments-1', 'payments', 'killed'),
  ]);
  assert.deepEqual(
    rows.map((r) => [r.instanceId, r.registered, r.process?.state ?? null, r.release, r.adminUrl]),
    [
      ['catalog-1', true, null, null, null],
      ['payments-1', false, 'killed', null, 'https://127.0.0.1/payments-1/admin'],
      ['payments-2', true, 'ready', 'canary', 'https://a'],
    ],
  );
});

test('without the devhost (Kubernetes) the rows are the registry’s, without a process', () => {
  const rows = mergeInstances([testInstance('catalog-1')], undefined);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.process, null);
});
