// Rate limits at the edge: a token bucket per caller (the user, or the client
// address when anonymous) and route class. What the classes are, their default
// limits, the gateway's live settings that change them, and the bucket
// arithmetic every store (memory, PostgreSQL, Redis) does the same way.

import { Type, type Static } from 'typebox';

/**
 * What a request costs the shop, by route and method: signing in and up (identity's hashing), a checkout
 * (a saga across seven services), any other write, and reads.
 */
export const RATE_CLASSES = ['read', 'write', 'checkout', 'auth'] as const;
export type RateClass = (typeof RATE_CLASSES)[number];

/** A token bucket: `perSecond` tokens flow in, up to `burst`; a request takes one. */
export interface Limit {
  readonly perSecond: number;
  readonly burst: number;
}

export interface RateLimits {
  readonly enabled: boolean;
  readonly classes: Readonly<Record<RateClass, Limit>>;
}

/**
 * Far above what a person clicking through the shop sends, low enough that one runaway script cannot take
 * the gateway or a service from everyone else. `auth` is per address (nobody is signed in yet): a whole
 * office behind one NAT shares it, hence its burst; identity keeps its own per-account budgets behind it.
 */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  enabled: true,
  classes: {
    read: { perSecond: 100, burst: 200 },
    write: { perSecond: 20, burst: 40 },
    checkout: { perSecond: 5, burst: 10 },
    auth: { perSecond: 20, burst: 100 },
  },
};

const LimitSetting = Type.Object(
  {
    perSecond: Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000, description: 'Requests per second, sustained.' }),
    burst: Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'Requests at once after a quiet spell.' }),
  },
  { additionalProperties: false },
);

/** The `rateLimits` live setting of the gateway (`settings.ts`). */
export const RateLimitsSetting = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ description: 'False lets every request through (nothing is counted).' })),
    read: Type.Optional(LimitSetting),
    write: Type.Optional(LimitSetting),
    checkout: Type.Optional(LimitSetting),
    auth: Type.Optional(LimitSetting),
  },
  {
    additionalProperties: false,
    description:
      'Token buckets per user (per client address when anonymous) and route class; a class left out keeps its default. GATEWAY_RATE_LIMITS in the environment overrides.',
  },
);
export type RateLimitSettings = Static<typeof RateLimitsSetting>;

/** The limits in effect: the settings over the defaults, class by class. */
export function resolveLimits(settings: RateLimitSettings | undefined): RateLimits {
  if (settings === undefined) return DEFAULT_RATE_LIMITS;
  const classes = { ...DEFAULT_RATE_LIMITS.classes };
  for (const c of RATE_CLASSES) {
    const limit = settings[c];
    if (limit !== undefined) classes[c] = limit;
  }
  return { enabled: settings.enabled ?? DEFAULT_RATE_LIMITS.enabled, classes };
}

/** A bucket as a store keeps it: the tokens left at a moment (milliseconds). */
export interface BucketState {
  tokens: number;
  atMs: number;
}

/** What a store hands out: up to the tokens asked for; none, and how long until the next one. */
export interface Lease {
  readonly granted: number;
  readonly retryAfterMs: number;
}

/**
 * Takes up to `want` whole tokens from a bucket (full when it has no state yet), updating `state` in place.
 * The PostgreSQL statement and the Redis script in `stores.ts` are this function in their languages.
 */
export function takeTokens(state: BucketState, limit: Limit, want: number, nowMs: number): Lease {
  const tokens = Math.min(limit.burst, state.tokens + (Math.max(0, nowMs - state.atMs) * limit.perSecond) / 1000);
  const granted = Math.min(want, Math.floor(tokens));
  state.tokens = tokens - granted;
  state.atMs = nowMs;
  return { granted, retryAfterMs: granted > 0 ? 0 : retryAfterMs(state.tokens, limit) };
}

/** Until the bucket holds a whole token again. */
export function retryAfterMs(tokens: number, limit: Limit): number {
  return Math.max(1, Math.ceil(((1 - tokens) * 1000) / limit.perSecond));
}

/** The first state of a bucket: full. */
export const fullBucket = (limit: Limit, nowMs: number): BucketState => ({ tokens: limit.burst, atMs: nowMs });

/**
 * The headers of a refusal: `Retry-After` (whole seconds, at least 1) and the IETF draft's
 * `RateLimit-Policy` / `RateLimit` (draft-ietf-httpapi-ratelimit-headers: the policy's quota `q` per window
 * `w` seconds, and what `r` remains and in how many seconds `t` it refills).
 */
export function refusalHeaders(cls: RateClass, limit: Limit, retryMs: number): Record<string, string> {
  const seconds = Math.max(1, Math.ceil(retryMs / 1000));
  // A bucket's sustained quota over the time it takes to fill: q = burst per burst/perSecond seconds.
  const window = Math.max(1, Math.round(limit.burst / limit.perSecond));
  return {
    'retry-after': String(seconds),
    'ratelimit-policy': `"${cls}";q=${Math.round(limit.perSecond * window)};w=${window}`,
    ratelimit: `"${cls}";r=0;t=${seconds}`,
  };
}
