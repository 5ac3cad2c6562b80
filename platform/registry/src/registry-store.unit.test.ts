// Unit tests of the registry store: TTL eviction, index semantics and long-poll
// waits, all on a fake clock and fake timers so nothing sleeps.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRegistryStore, type Registration, type Timers } from './registry-store.ts';

const START = Date.parse('2025-01-01T00:00:00.000Z');

function fakeClock(start = START) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

/** Timers that fire only when the test advances them. */
function fakeTimers() {
  let now = 0;
  let nextId = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers & { advance(ms: number): void; count(): number } = {
    setTimeout(fn, ms) {
      nextId += 1;
      pending.set(nextId, { at: now + ms, fn });
      return nextId;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
    advance(ms) {
      now += ms;
      for (const [id, t] of [...pending]) {
        if (t.at <= now) {
          pending.delete(id);
          t.fn();
        }
      }
    },
    count: () => pending.size,
  };
  return timers;
}

function reg(instanceId: string, over: Partial<Registration> = {}): Registration {
  return { service: 'catalog', instanceId, url: `http://127.0.0.1:4000/${instanceId}`, version: '0.1.0', ...over };
}

describe('registry store', () => {
  it('lists a registered instance with defaults and ISO times', () => {
    const clock = fakeClock();
    const store = createRegistryStore({ clock });
    store.register(reg('catalog-1'));
    const [instance] = store.instances('catalog');
    assert.deepEqual(instance, {
      instanceId: 'catalog-1',
      service: 'catalog',
      url: 'http://127.0.0.1:4000/catalog-1',
      version: '0.1.0',
      zone: 'local',
      weight: 100,
      metadata: {},
      registeredAt: '2025-01-01T00:00:00.000Z',
      lastHeartbeatAt: '2025-01-01T00:00:00.000Z',
    });
    assert.deepEqual(store.instances('cart'), []);
  });

  it('groups instances by service', () => {
    const store = createRegistryStore({ clock: fakeClock() });
    store.register(reg('catalog-2'));
    store.register(reg('catalog-1'));
    store.register(reg('cart-1', { service: 'cart' }));
    const services = store.services();
    assert.deepEqual(Object.keys(services).sort(), ['cart', 'catalog']);
    assert.deepEqual(
      services.catalog?.map((i) => i.instanceId),
      ['catalog-1', 'catalog-2'],
    );
    assert.deepEqual([...store.counts()].sort(), [
      ['cart', 1],
      ['catalog', 2],
    ]);
  });

  it('evicts an instance exactly when the TTL has passed since its last heartbeat', () => {
    const clock = fakeClock();
    const store = createRegistryStore({ clock, ttlMs: 10_000 });
    store.register(reg('catalog-1'));
    clock.advance(6_000);
    assert.equal(store.heartbeat('catalog-1'), true);
    clock.advance(9_999);
    assert.deepEqual(store.evictExpired(), []);
    clock.advance(1);
    assert.deepEqual(store.evictExpired(), [{ instanceId: 'catalog-1', service: 'catalog', silentMs: 10_000 }]);
    assert.deepEqual(store.instances('catalog'), []);
  });

  it('answers a heartbeat for an unknown or evicted instance with false, and takes it back on re-registration', () => {
    const clock = fakeClock();
    const store = createRegistryStore({ clock, ttlMs: 1_000 });
    assert.equal(store.heartbeat('nobody'), false);
    store.register(reg('catalog-1'));
    clock.advance(1_000);
    store.evictExpired();
    assert.equal(store.heartbeat('catalog-1'), false);
    store.register(reg('catalog-1'));
    assert.equal(store.heartbeat('catalog-1'), true);
    assert.equal(store.instances('catalog').length, 1);
  });

  it('replaces an instance registered again under the same id', () => {
    const clock = fakeClock();
    const store = createRegistryStore({ clock });
    store.register(reg('catalog-1'));
    clock.advance(500);
    assert.equal(
      store.register(reg('catalog-1', { url: 'http://127.0.0.1:5000', weight: 10, metadata: { canary: 'true' } })),
      true,
    );
    const listed = store.instances('catalog');
    assert.equal(listed.length, 1);
    assert.equal(listed[0]?.url, 'http://127.0.0.1:5000');
    assert.equal(listed[0]?.weight, 10);
    assert.deepEqual(listed[0]?.metadata, { canary: 'true' });
    assert.equal(listed[0]?.registeredAt, '2025-01-01T00:00:00.500Z');
  });

  it('moves an instance to another service when it re-registers under a new name', () => {
    const store = createRegistryStore({ clock: fakeClock() });
    store.register(reg('x-1'));
    store.register(reg('x-1', { service: 'cart' }));
    assert.deepEqual(store.instances('catalog'), []);
    assert.equal(store.instances('cart').length, 1);
  });

  it('bumps the index on register, changed re-registration, deregister and eviction only', () => {
    const clock = fakeClock();
    const store = createRegistryStore({ clock, ttlMs: 1_000 });
    let last = store.index();
    const bumped = (): boolean => {
      const moved = store.index() > last;
      last = store.index();
      return moved;
    };
    store.register(reg('catalog-1'));
    assert.equal(bumped(), true, 'register');
    assert.equal(store.heartbeat('catalog-1'), true);
    assert.equal(bumped(), false, 'heartbeat');
    assert.equal(store.register(reg('catalog-1')), false);
    assert.equal(bumped(), false, 'identical re-registration');
    store.register(reg('catalog-1', { version: '0.2.0' }));
    assert.equal(bumped(), true, 'changed re-registration');
    assert.equal(store.deregister('catalog-1'), true);
    assert.equal(bumped(), true, 'deregister');
    assert.equal(store.deregister('catalog-1'), false);
    assert.equal(bumped(), false, 'deregister of an unknown instance');
    store.register(reg('catalog-1'));
    store.register(reg('catalog-2'));
    bumped();
    clock.advance(999);
    store.evictExpired();
    assert.equal(bumped(), false, 'sweep that evicts nothing');
    clock.advance(1);
    assert.equal(store.evictExpired().length, 2);
    assert.equal(store.index(), last + 1, 'one bump per sweep');
  });

  it('keeps the heartbeat time when an identical registration arrives', () => {
    const clock = fakeClock();
    const store = createRegistryStore({ clock, ttlMs: 1_000 });
    store.register(reg('catalog-1'));
    clock.advance(800);
    store.register(reg('catalog-1'));
    clock.advance(800);
    assert.deepEqual(store.evictExpired(), [], 'the identical registration counted as a heartbeat');
    assert.equal(store.instances('catalog')[0]?.registeredAt, '2025-01-01T00:00:00.000Z');
  });

  it('starts its index from the clock so a restarted registry is ahead of its predecessor', () => {
    const first = createRegistryStore({ clock: fakeClock(START) });
    for (let i = 0; i < 50; i++) first.register(reg(`catalog-${i}`));
    const second = createRegistryStore({ clock: fakeClock(START + 1_000) });
    assert.ok(second.index() > first.index());
  });
});

describe('registry store waitForChange', () => {
  it('resolves at once when the index already moved past the one given', async () => {
    const timers = fakeTimers();
    const store = createRegistryStore({ clock: fakeClock(), timers });
    const seen = store.index();
    store.register(reg('catalog-1'));
    assert.equal(await store.waitForChange(seen, 30_000), store.index());
    assert.equal(timers.count(), 0);
  });

  it('resolves at once for an index the store never handed out (a previous incarnation)', async () => {
    const store = createRegistryStore({ clock: fakeClock(), timers: fakeTimers() });
    assert.equal(await store.waitForChange(store.index() + 1_000, 30_000), store.index());
  });

  it('wakes every waiter on the next change', async () => {
    const timers = fakeTimers();
    const store = createRegistryStore({ clock: fakeClock(), timers });
    const seen = store.index();
    const a = store.waitForChange(seen, 30_000);
    const b = store.waitForChange(seen, 30_000);
    assert.equal(store.waiting(), 2);
    store.heartbeat('catalog-1');
    assert.equal(store.waiting(), 2, 'a heartbeat is not a change');
    store.register(reg('catalog-1'));
    assert.deepEqual(await Promise.all([a, b]), [seen + 1, seen + 1]);
    assert.equal(store.waiting(), 0);
    assert.equal(timers.count(), 0, 'timeouts are cleared');
  });

  it('resolves with the unchanged index when the timeout passes', async () => {
    const timers = fakeTimers();
    const store = createRegistryStore({ clock: fakeClock(), timers });
    const seen = store.index();
    let settled = false;
    const wait = store.waitForChange(seen, 30_000).then((i) => ((settled = true), i));
    timers.advance(29_999);
    await Promise.resolve();
    assert.equal(settled, false);
    timers.advance(1);
    assert.equal(await wait, seen);
    assert.equal(store.waiting(), 0);
  });

  it('resolves when the signal aborts, and at once for an aborted signal', async () => {
    const timers = fakeTimers();
    const store = createRegistryStore({ clock: fakeClock(), timers });
    const seen = store.index();
    const controller = new AbortController();
    const wait = store.waitForChange(seen, 30_000, controller.signal);
    controller.abort();
    assert.equal(await wait, seen);
    assert.equal(store.waiting(), 0);
    assert.equal(timers.count(), 0);
    assert.equal(await store.waitForChange(seen, 30_000, controller.signal), seen);
    assert.equal(store.waiting(), 0);
  });
});
