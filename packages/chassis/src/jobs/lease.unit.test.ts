// Keeping a lease, on mocked timers and an injected clock: renewals
// every third of the lease, and the work stopped at two thirds without one
// that took (renewals failing, hanging or refused), i.e. BEFORE the lease
// expires; a transaction holding the claimed row's lock is not interrupted.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';
import { keepLease, type LeaseKeeper } from './lease.ts';

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval'] }));
afterEach(() => mock.timers.reset());

const LEASE = 300;

/** Lets promise callbacks run (setImmediate is not mocked). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A keeper on a fake clock whose every event lands in `events` with its time.
 * `expired` is the lease running out in the database, had no renewal taken:
 * LEASE after the claim.
 */
function setup(renew: () => Promise<boolean>) {
  let clock = 0;
  const events: string[] = [];
  // Set first: at the same instant, the expiry comes first (being stopped then would be too late).
  setTimeout(() => events.push(`expired@${clock}`), LEASE);
  const keeper: LeaseKeeper = keepLease({
    leaseMs: LEASE,
    since: 0,
    now: () => clock,
    renew: () => (events.push(`renew@${clock}`), renew()),
    onRenewFailed: () => events.push(`renew-failed@${clock}`),
    onLost: (reason) => events.push(`lost:${reason}@${clock}`),
  });
  return {
    events,
    keeper,
    /** Moves the clock on by `ms`, one ms at a time, letting timers and promises run. */
    async advance(ms: number) {
      for (let i = 0; i < ms; i++) {
        clock++;
        mock.timers.tick(1);
        await flush();
      }
    },
  };
}

const indexOf = (events: string[], prefix: string) => events.findIndex((e) => e.startsWith(prefix));

test('renewals that fail: the work is stopped before the lease expires, and no renewal is sent after', async () => {
  const s = setup(() => Promise.reject(new Error('database unreachable')));
  await s.advance(LEASE + 100);
  const lost = indexOf(s.events, 'lost:unrenewed');
  assert.ok(lost >= 0, `stopped: ${s.events.join(' ')}`);
  assert.ok(lost < indexOf(s.events, 'expired'), `stopped before the lease expired: ${s.events.join(' ')}`);
  assert.ok(indexOf(s.events, 'renew-failed') < lost, 'after a renewal failed');
  assert.ok(!s.events.slice(lost + 1).some((e) => e.startsWith('renew')), `nothing after: ${s.events.join(' ')}`);
  assert.deepEqual(
    s.events.filter((e) => e.startsWith('lost')),
    ['lost:unrenewed@200'],
    'at two thirds of the lease',
  );
});

test('a renewal that hangs: the work is stopped before the lease expires, and renewals do not pile up', async () => {
  const s = setup(() => new Promise<boolean>(() => {}));
  await s.advance(LEASE + 100);
  const lost = indexOf(s.events, 'lost:unrenewed');
  assert.ok(lost >= 0 && lost < indexOf(s.events, 'expired'), s.events.join(' '));
  assert.deepEqual(
    s.events.filter((e) => e.startsWith('renew')),
    ['renew@100'],
    'one renewal in flight at a time',
  );
  assert.deepEqual(
    s.events.filter((e) => e.startsWith('lost')),
    ['lost:unrenewed@200'],
    'at two thirds of the lease',
  );
});

test('renewals that take: renewed every third of the lease, never stopped', async () => {
  const s = setup(() => Promise.resolve(true));
  await s.advance(LEASE * 5);
  assert.deepEqual(
    s.events.filter((e) => e.startsWith('lost')),
    [],
  );
  assert.deepEqual(s.events.filter((e) => e.startsWith('renew@')).slice(0, 4), [
    'renew@100',
    'renew@200',
    'renew@300',
    'renew@400',
  ]);
  s.keeper.stop();
  const count = s.events.length;
  await s.advance(LEASE);
  assert.equal(s.events.length, count, 'stop() ends the renewals');
});

test('a renewal that finds another owner stops the work at once', async () => {
  const s = setup(() => Promise.resolve(false));
  await s.advance(LEASE);
  assert.deepEqual(
    s.events.filter((e) => !e.startsWith('expired')),
    ['renew@100', 'lost:taken@100'],
  );
});

test('renewals that took, then fail: stopped two thirds of a lease after the last one that took was sent', async () => {
  let healthy = true;
  const s = setup(() => (healthy ? Promise.resolve(true) : Promise.reject(new Error('down'))));
  await s.advance(250); // renewed at 100 and 200
  healthy = false;
  await s.advance(LEASE);
  assert.deepEqual(
    s.events.filter((e) => e.startsWith('lost')),
    ['lost:unrenewed@400'],
    s.events.join(' '),
  );
});

test('a transaction holding the row lock is not interrupted, even past the lease; overdue after it, the work stops at once', async () => {
  const s = setup(() => Promise.resolve(true));
  await s.advance(50);
  let release!: () => void;
  const held = s.keeper.hold(() => new Promise<string>((resolve) => (release = () => resolve('committed'))));
  await s.advance(LEASE * 2);
  assert.deepEqual(
    s.events.filter((e) => !e.startsWith('expired')),
    [],
    'no renewal queued behind the lock, no stop',
  );
  release();
  assert.equal(await held, 'committed');
  assert.deepEqual(
    s.events.filter((e) => e.startsWith('lost')),
    ['lost:unrenewed@650'],
    'stopped before the next step could begin',
  );
});

test('a hold over a renewal tick: renewed as soon as it ends, and kept', async () => {
  const s = setup(() => Promise.resolve(true));
  await s.advance(50);
  let release!: () => void;
  const held = s.keeper.hold(() => new Promise<void>((resolve) => (release = resolve)));
  await s.advance(100);
  release();
  await held;
  await s.advance(LEASE * 2);
  assert.deepEqual(
    s.events.filter((e) => e.startsWith('lost')),
    [],
  );
  assert.equal(s.events.filter((e) => e.startsWith('renew@'))[0], 'renew@150', 'renewed when the hold ended');
  s.keeper.stop();
});

test('a hold during which no renewal fell due: none is sent when it ends, the next comes at its tick', async () => {
  const s = setup(() => Promise.resolve(true));
  await s.advance(10);
  let release!: () => void;
  const held = s.keeper.hold(() => new Promise<void>((resolve) => (release = resolve)));
  await s.advance(30);
  release();
  await held;
  await s.advance(100);
  assert.deepEqual(
    s.events.filter((e) => e.startsWith('renew@')),
    ['renew@100'],
    'renewed on the timer only (a saga step is such a hold: no renewal per step)',
  );
  s.keeper.stop();
});

test('a hold whose committed transaction extended the lease itself counts as a renewal sent when it began', async () => {
  const s = setup(() => Promise.resolve(true));
  await s.advance(150); // renewed at 100
  let release!: () => void;
  const held = s.keeper.hold(
    () => new Promise<string>((resolve) => (release = () => resolve('committed'))),
    (r) => r === 'committed',
  );
  await s.advance(150); // to 300: 100 + two thirds of the lease, overdue but for the fence
  release();
  await held;
  await s.advance(1);
  assert.deepEqual(
    s.events.filter((e) => e.startsWith('lost')),
    [],
    'the fence at 150 renewed it: not stopped',
  );
  s.keeper.stop();
});

test('a hold whose transaction rolled back renewed nothing: overdue, the work stops', async () => {
  const s = setup(() => Promise.resolve(true));
  await s.advance(150);
  let release!: () => void;
  const held = s.keeper.hold(
    () => new Promise<string>((resolve) => (release = () => resolve('rolled back'))),
    (r) => r === 'committed',
  );
  await s.advance(150);
  release();
  await held;
  assert.deepEqual(
    s.events.filter((e) => e.startsWith('lost')),
    ['lost:unrenewed@300'],
  );
});
