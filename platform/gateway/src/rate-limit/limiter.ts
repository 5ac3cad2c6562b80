// The gateway's rate limiter. A shared store (PostgreSQL or Redis) is not asked
// per request: each gateway leases a few tokens of a bucket at a time (a tenth
// of a second's worth) and spends them locally, and a bucket found empty is
// refused locally until it refills. So a caller within its limit costs one
// store round trip per lease, and one far above it costs the gateways one per
// refill, whatever it sends. When the store fails, each gateway limits alone
// at its share of the rate (the limit over the gateways discovery lists)
// until the store answers again.

import type { Logger } from '@souk/chassis';
import { createMemoryStore, type BucketStore } from './stores.ts';
import { DEFAULT_RATE_LIMITS, type Lease, type Limit, type RateClass, type RateLimits } from './policy.ts';

/** A lease is this many seconds of a bucket's rate (at least one token, at most the burst). */
const LEASE_SECONDS = 0.1;
/** Tokens leased and not spent within this are given up (the holder is dropped). */
const LEASE_IDLE_MS = 10_000;
/** After a store failure, the local fallback is used this long before the store is tried again. */
const FALLBACK_MS = 5_000;
/** Callers remembered per gateway; the oldest go first. */
const MAX_HOLDERS = 100_000;
/** A request that found its lease spent by concurrent ones asks again at most this often. */
const MAX_LEASE_ROUNDS = 4;

/** Why a request was refused. */
export interface Refusal {
  readonly cls: RateClass;
  readonly limit: Limit;
  readonly retryAfterMs: number;
}

export interface RateLimiter {
  /** Undefined: go ahead. Synchronous while the caller's lease lasts or its refusal stands. */
  check(cls: RateClass, caller: string): Refusal | undefined | Promise<Refusal | undefined>;
  configure(limits: RateLimits): void;
  readonly limits: () => RateLimits;
  close(): Promise<void>;
}

interface Holder {
  tokens: number;
  deniedUntil: number;
  usedAt: number;
  pending: Promise<void> | undefined;
}

export interface LimiterOptions {
  store: BucketStore;
  now: () => number;
  /** Gateways sharing the limits (from discovery), for the fallback's share; at least 1. */
  instances: () => number;
  log: Logger;
  onStoreError?: () => void;
  limits?: RateLimits;
}

export function createRateLimiter(options: LimiterOptions): RateLimiter {
  const { store, now, log } = options;
  const shared = store.kind !== 'memory';
  let limits = options.limits ?? DEFAULT_RATE_LIMITS;
  const holders = new Map<string, Holder>();
  const fallback = createMemoryStore(now);
  let fallbackUntil = 0;

  const leaseSize = (limit: Limit) =>
    shared ? Math.max(1, Math.min(limit.burst, Math.ceil(limit.perSecond * LEASE_SECONDS))) : 1;

  function holderOf(key: string, t: number): Holder {
    let h = holders.get(key);
    if (h !== undefined && t - h.usedAt > LEASE_IDLE_MS) h.tokens = 0;
    if (h === undefined) {
      if (holders.size >= MAX_HOLDERS) holders.delete(holders.keys().next().value!);
      h = { tokens: 0, deniedUntil: 0, usedAt: t, pending: undefined };
      holders.set(key, h);
    }
    h.usedAt = t;
    return h;
  }

  function apply(h: Holder, lease: Lease): void {
    h.tokens += lease.granted;
    if (lease.granted === 0) h.deniedUntil = now() + lease.retryAfterMs;
  }

  /** This gateway's share of the limit while the store is out. */
  function localShare(limit: Limit): Limit {
    const n = Math.max(1, options.instances());
    return { perSecond: limit.perSecond / n, burst: Math.max(1, Math.floor(limit.burst / n)) };
  }

  function leaseLocally(h: Holder, key: string, limit: Limit): void {
    apply(h, fallback.lease(key, 1, localShare(limit)) as Lease);
  }

  /** Refills the holder from the store; a promise only when the store is remote and answering. */
  function refill(h: Holder, key: string, limit: Limit): Promise<void> | undefined {
    if (shared && now() < fallbackUntil) return void leaseLocally(h, key, limit);
    const answer = store.lease(key, leaseSize(limit), limit);
    if (!(answer instanceof Promise)) return void apply(h, answer);
    return answer.then(
      (lease) => apply(h, lease),
      (err: unknown) => {
        if (now() >= fallbackUntil)
          log.warn({ err, store: store.kind }, 'rate limit store failed: each gateway limits alone at its share for a while');
        fallbackUntil = now() + FALLBACK_MS;
        options.onStoreError?.();
        leaseLocally(h, key, limit);
      },
    );
  }

  function decide(h: Holder, cls: RateClass, limit: Limit, t: number): Refusal | undefined | 'ask' {
    if (h.tokens > 0) {
      h.tokens--;
      return undefined;
    }
    if (t < h.deniedUntil) return { cls, limit, retryAfterMs: h.deniedUntil - t };
    return 'ask';
  }

  async function waitForLease(h: Holder, key: string, cls: RateClass, limit: Limit): Promise<Refusal | undefined> {
    for (let round = 0; round < MAX_LEASE_ROUNDS; round++) {
      h.pending ??= refill(h, key, limit)?.finally(() => (h.pending = undefined));
      await h.pending;
      const d = decide(h, cls, limit, now());
      if (d !== 'ask') return d;
    }
    // Concurrent requests of one caller spent every lease before this one got a token: it is over its limit.
    return { cls, limit, retryAfterMs: Math.ceil(1000 / limit.perSecond) };
  }

  return {
    check(cls, caller) {
      if (!limits.enabled) return undefined;
      const limit = limits.classes[cls];
      const key = `${cls} ${caller}`;
      const t = now();
      const h = holderOf(key, t);
      const d = decide(h, cls, limit, t);
      if (d !== 'ask') return d;
      if (h.pending === undefined) {
        const refilled = refill(h, key, limit);
        if (refilled === undefined) {
          const again = decide(h, cls, limit, t);
          if (again !== 'ask') return again;
        } else {
          h.pending = refilled.finally(() => (h.pending = undefined));
        }
      }
      return waitForLease(h, key, cls, limit);
    },
    configure(next) {
      limits = next;
      // Leases and refusals were for the old limits.
      holders.clear();
    },
    limits: () => limits,
    async close() {
      await Promise.all([store.close(), fallback.close()]);
    },
  };
}
