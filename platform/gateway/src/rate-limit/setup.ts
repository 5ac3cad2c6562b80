// The gateway's rate limiter as its environment and live settings make it: the
// store (Redis, its PostgreSQL database, or memory), the limits (the config
// server's, unless GATEWAY_RATE_LIMITS pins them) and a counter of refusals.

import { Value } from 'typebox/value';
import { Counter } from 'prom-client';
import { DATABASE_PASSWORD_SECRET, type ServiceContext } from '@souk/chassis';
import type { GatewayConfig } from '../config.ts';
import { createRateLimiter, type RateLimiter } from './limiter.ts';
import { resolveLimits, type RateLimitSettings } from './policy.ts';
import { GatewaySettings } from '../settings.ts';
import { createMemoryStore, createPostgresStore, createRedisStore, type BucketStore } from './stores.ts';
import type { Static } from 'typebox';

type Ctx = ServiceContext<Static<typeof GatewayConfig>>;

/** GATEWAY_RATE_LIMITS, checked against the setting's schema; a bad value stops the start with the reasons. */
export function pinnedRateLimits(raw: string | undefined): RateLimitSettings | undefined {
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error('GATEWAY_RATE_LIMITS must be JSON (the rateLimits setting), e.g. {"enabled":false}');
  }
  const settings = { rateLimits: value };
  if (!Value.Check(GatewaySettings, settings)) {
    const reasons = [...Value.Errors(GatewaySettings, settings)].map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new Error(`GATEWAY_RATE_LIMITS is not a valid rateLimits setting: ${reasons.join('; ')}`);
  }
  return value as RateLimitSettings;
}

async function openStore(ctx: Ctx): Promise<BucketStore> {
  const { config } = ctx;
  if (config.REDIS_URL) return createRedisStore(config.REDIS_URL);
  if (config.DATABASE_URL) {
    const password = new URL(config.DATABASE_URL).password ? undefined : await ctx.secrets.optional(DATABASE_PASSWORD_SECRET);
    return createPostgresStore({
      url: config.DATABASE_URL,
      ...(password !== undefined ? { password } : {}),
      applicationName: ctx.instanceId,
    });
  }
  return createMemoryStore(() => ctx.clock.now());
}

export async function createGatewayRateLimiter(ctx: Ctx): Promise<RateLimiter> {
  const pinned = pinnedRateLimits(ctx.config.GATEWAY_RATE_LIMITS);
  const store = await openStore(ctx);
  const storeErrors = new Counter({
    name: 'souk_gateway_rate_limit_store_errors_total',
    help: 'Leases the shared rate limit store failed to answer (the gateway then limits alone at its share).',
    registers: [ctx.metrics],
  });
  const current = () => (ctx.settings.current() as GatewaySettings).rateLimits;
  const limiter = createRateLimiter({
    store,
    now: () => ctx.clock.now(),
    instances: () => ctx.discovery.instances('gateway').length,
    log: ctx.log,
    onStoreError: () => storeErrors.inc(),
    limits: resolveLimits(pinned ?? current()),
  });
  ctx.log.info({ store: store.kind, pinned: pinned !== undefined }, 'rate limits in effect');
  if (pinned === undefined) {
    ctx.settings.onChange((settings) => limiter.configure(resolveLimits((settings as GatewaySettings).rateLimits)));
  }
  ctx.onClose(() => limiter.close());
  return limiter;
}

/** Refusals by rate class, for `/metrics`. */
export function rateLimitedCounter(ctx: Ctx): (cls: string) => void {
  const refused = new Counter({
    name: 'souk_gateway_rate_limited_total',
    help: 'Requests refused with 429 for being over a rate limit, by rate class.',
    labelNames: ['class'],
    registers: [ctx.metrics],
  });
  return (cls) => refused.inc({ class: cls });
}
