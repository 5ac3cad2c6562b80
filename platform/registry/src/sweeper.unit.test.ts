// Unit test of the eviction sweep: what it logs and counts, driven by hand
// (the interval is set far beyond the test) on a fake clock.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createRegistryStore } from './registry-store.ts';
import { startSweeper } from './sweeper.ts';

it('logs and counts each eviction with how long the instance was silent', async () => {
  let now = 0;
  const store = createRegistryStore({ clock: { now: () => now }, ttlMs: 10_000 });
  const lines: Array<{ fields: unknown; msg: string }> = [];
  const evicted: string[] = [];
  const sweeper = startSweeper({
    store,
    schedule: { intervalMs: 3_600_000 },
    log: { info: ((fields: unknown, msg: string) => void lines.push({ fields, msg })) as never, error: () => {} },
    metrics: { registered: () => {}, evicted: (service) => void evicted.push(service) },
  });
  try {
    store.register({ service: 'catalog', instanceId: 'catalog-2', url: 'http://127.0.0.1:1', version: '1' });
    store.register({ service: 'cart', instanceId: 'cart-1', url: 'http://127.0.0.1:2', version: '1' });
    now = 4_000;
    store.heartbeat('cart-1');
    now = 10_000;
    sweeper.sweep();
    now = 14_400;
    sweeper.sweep();
    assert.deepEqual(
      lines.map((l) => l.msg),
      ['evicted catalog-2 after 10 s without heartbeat', 'evicted cart-1 after 10.4 s without heartbeat'],
    );
    assert.deepEqual(lines[0]?.fields, { instanceId: 'catalog-2', service: 'catalog', silentMs: 10_000 });
    assert.deepEqual(evicted, ['catalog', 'cart']);
  } finally {
    await sweeper.stop();
  }
});
