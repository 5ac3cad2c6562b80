import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { createRateLimiter, type Refusal } from './limiter.ts';
import {
  DEFAULT_RATE_LIMITS,
  refusalHeaders,
  resolveLimits,
  takeTokens,
  type Lease,
  type Limit,
  type RateLimits,
} from './policy.ts';
import { createMemoryStore, type BucketStore } from './stores.ts';
import { pinnedRateLimits } from './setup.ts';

const log = pino({ level: 'silent' });
const limits = (read: Limit): RateLimits => ({ enabled: true, classes: { ...DEFAULT_RATE_LIMITS.classes, read } });

test('a bucket starts full, refills at its rate and never beyond its burst', () => {
  const limit = { perSecond: 10, burst: 5 };
  const state = { tokens: 5, atMs: 0 };
  assert.deepEqual(takeTokens(state, limit, 3, 0), { granted: 3, retryAfterMs: 0 });
  assert.deepEqual(takeTokens(state, limit, 3, 0), { granted: 2, retryAfterMs: 0 });
  // Empty: one token in 100 ms.
  assert.deepEqual(takeTokens(state, limit, 1, 0), { granted: 0, retryAfterMs: 100 });
  assert.deepEqual(takeTokens(state, limit, 1, 50), { granted: 0, retryAfterMs: 50 });
  assert.deepEqual(takeTokens(state, limit, 1, 100), { granted: 1, retryAfterMs: 0 });
  // An hour later it holds its burst, not 36,000 tokens.
  assert.equal(takeTokens(state, limit, 100, 3_600_000).granted, 5);
});

test('the limits in effect are the settings over the defaults, class by class', () => {
  assert.deepEqual(resolveLimits(undefined), DEFAULT_RATE_LIMITS);
  const r = resolveLimits({ write: { perSecond: 1, burst: 2 } });
  assert.deepEqual(r.classes.write, { perSecond: 1, burst: 2 });
  assert.deepEqual(r.classes.read, DEFAULT_RATE_LIMITS.classes.read);
  assert.equal(resolveLimits({ enabled: false }).enabled, false);
});

test('GATEWAY_RATE_LIMITS is checked against the setting: bad JSON or values stop the start with the reason', () => {
  assert.equal(pinnedRateLimits(undefined), undefined);
  assert.deepEqual(pinnedRateLimits('{"enabled":false}'), { enabled: false });
  assert.throws(() => pinnedRateLimits('{enabled'), /must be JSON/);
  assert.throws(() => pinnedRateLimits('{"read":{"perSecond":0,"burst":1}}'), /\/rateLimits\/read\/perSecond/);
  assert.throws(() => pinnedRateLimits('{"reads":{"perSecond":1,"burst":1}}'), /not a valid rateLimits setting/);
});

test('a refusal carries Retry-After and the IETF RateLimit-Policy and RateLimit headers', () => {
  assert.deepEqual(refusalHeaders('write', { perSecond: 20, burst: 40 }, 1_200), {
    'retry-after': '2',
    'ratelimit-policy': '"write";q=40;w=2',
    ratelimit: '"write";r=0;t=2',
  });
  // Never "Retry-After: 0": a client would retry at once.
  assert.equal(refusalHeaders('read', { perSecond: 1000, burst: 10 }, 1)['retry-after'], '1');
});

test('in memory: exactly the burst at once, then the rate; callers and classes are counted apart', () => {
  let now = 0;
  const limiter = createRateLimiter({
    store: createMemoryStore(() => now),
    now: () => now,
    instances: () => 1,
    log,
    limits: limits({ perSecond: 10, burst: 3 }),
  });
  const results = Array.from({ length: 5 }, () => limiter.check('read', 'user a'));
  assert.deepEqual(
    results.map((r) => r === undefined),
    [true, true, true, false, false],
  );
  assert.equal((results[3] as Refusal).retryAfterMs, 100);
  assert.equal(limiter.check('read', 'user b'), undefined, 'another caller has its own bucket');
  assert.equal(limiter.check('write', 'user a'), undefined, 'another class has its own bucket');
  now += 100;
  assert.equal(limiter.check('read', 'user a'), undefined);
  assert.notEqual(limiter.check('read', 'user a'), undefined);
});

test('a live change applies at once; disabled counts nothing', () => {
  const now = 0;
  const limiter = createRateLimiter({
    store: createMemoryStore(() => now),
    now: () => now,
    instances: () => 1,
    log,
    limits: limits({ perSecond: 1, burst: 1 }),
  });
  assert.equal(limiter.check('read', 'u'), undefined);
  assert.notEqual(limiter.check('read', 'u'), undefined);
  limiter.configure({ ...limiter.limits(), enabled: false });
  for (let i = 0; i < 100; i++) assert.equal(limiter.check('read', 'u'), undefined);
  limiter.configure(limits({ perSecond: 1, burst: 1 }));
  // The memory store kept the bucket (empty): the caller does not get a new burst by a change of settings.
  assert.notEqual(limiter.check('read', 'u'), undefined);
});

/** A shared store on a clock of the test's: counts leases, can fail. */
function fakeShared(now: () => number) {
  const memory = createMemoryStore(now);
  const store = {
    kind: 'redis' as const,
    leases: [] as number[],
    failing: false,
    async lease(key: string, want: number, limit: Limit): Promise<Lease> {
      store.leases.push(want);
      if (store.failing) throw new Error('store down');
      return memory.lease(key, want, limit);
    },
    close: () => memory.close(),
  };
  return store satisfies BucketStore;
}

test('a shared store is asked once per lease of a tenth of a second, and not at all while a refusal stands', async () => {
  let now = 0;
  const store = fakeShared(() => now);
  const limiter = createRateLimiter({
    store,
    now: () => now,
    instances: () => 2,
    log,
    limits: limits({ perSecond: 100, burst: 20 }),
  });
  // The first request awaits a lease of 10 tokens; the next nine are answered at once.
  assert.equal(await limiter.check('read', 'u'), undefined);
  for (let i = 0; i < 9; i++) assert.equal(limiter.check('read', 'u'), undefined);
  assert.deepEqual(store.leases, [10]);
  // Then a second lease empties the burst (20); the third finds the bucket empty.
  for (let i = 0; i < 10; i++) assert.equal(await limiter.check('read', 'u'), undefined);
  const refused = await limiter.check('read', 'u');
  assert.equal(refused?.retryAfterMs, 10);
  assert.equal(store.leases.length, 3);
  // Refused locally until the bucket has a token again: no store call per request.
  for (let i = 0; i < 50; i++) assert.notEqual(limiter.check('read', 'u'), undefined);
  assert.equal(store.leases.length, 3);
  now += 10;
  assert.equal(await limiter.check('read', 'u'), undefined);
});

test('concurrent first requests of a caller share one lease', async () => {
  const now = 0;
  const store = fakeShared(() => now);
  const limiter = createRateLimiter({
    store,
    now: () => now,
    instances: () => 1,
    log,
    limits: limits({ perSecond: 30, burst: 5 }),
  });
  const answers = await Promise.all(Array.from({ length: 8 }, async () => limiter.check('read', 'u')));
  // Leases of 3, 2, then an empty bucket: 5 pass (the burst), 3 are refused.
  assert.equal(answers.filter((a) => a === undefined).length, 5);
  assert.deepEqual(store.leases, [3, 3, 3]);
});

test('when the store fails, the gateway limits alone at its share of the rate, then goes back to the store', async () => {
  let now = 0;
  const store = fakeShared(() => now);
  const failures: number[] = [];
  const limiter = createRateLimiter({
    store,
    now: () => now,
    instances: () => 2,
    log,
    onStoreError: () => failures.push(now),
    limits: limits({ perSecond: 10, burst: 10 }),
  });
  store.failing = true;
  // Half the burst (two gateways): 5 pass; the store was asked once, then left alone for a while.
  const answers = [];
  for (let i = 0; i < 8; i++) answers.push(await limiter.check('read', 'u'));
  assert.equal(answers.filter((a) => a === undefined).length, 5);
  assert.deepEqual(failures, [0]);
  assert.equal(store.leases.length, 1);
  store.failing = false;
  now += 6_000;
  assert.equal(await limiter.check('read', 'u'), undefined);
  assert.equal(store.leases.length, 2, 'the store is asked again after the fallback time');
});
