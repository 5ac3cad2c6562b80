// Where the buckets live. In memory for one gateway alone; shared by every
// gateway instance in Redis (REDIS_URL) or, in the embedded default, in the
// gateway's own PostgreSQL database: one UNLOGGED table (a bucket is worth
// nothing after a crash, so it skips the WAL), one statement per lease.

import { Redis } from 'ioredis';
import pg from 'pg';
import { fullBucket, retryAfterMs, takeTokens, type BucketState, type Lease, type Limit } from './policy.ts';

export interface BucketStore {
  readonly kind: 'memory' | 'postgres' | 'redis';
  /** Takes up to `want` tokens from the bucket `key`; synchronous in memory. */
  lease(key: string, want: number, limit: Limit): Lease | Promise<Lease>;
  close(): Promise<void>;
}

/** A store of one process; at most `maxKeys` buckets, the oldest forgotten first (as if full again). */
export function createMemoryStore(now: () => number, maxKeys = 100_000): BucketStore {
  const buckets = new Map<string, BucketState>();
  return {
    kind: 'memory',
    lease(key, want, limit) {
      const t = now();
      let state = buckets.get(key);
      if (state === undefined) {
        if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value!);
        state = fullBucket(limit, t);
        buckets.set(key, state);
      }
      return takeTokens(state, limit, want, t);
    },
    close: async () => buckets.clear(),
  };
}

/** Rows untouched this long are full again by any sane limit: the sweep deletes them. */
const IDLE_ROW_MS = 10 * 60_000;
const SWEEP_EVERY_MS = 60_000;

// The bucket arithmetic of takeTokens, with the database's clock (every gateway agrees on it).
const REFILLED = 'LEAST($3::float8, b.tokens + GREATEST(0, EXCLUDED.at_ms - b.at_ms) * $4::float8 / 1000)';
const LEASE_SQL = `
  INSERT INTO gateway_rate_buckets AS b (key, tokens, at_ms, granted)
  SELECT $1, $3::float8 - LEAST($2::int, floor($3::float8)), now_ms, LEAST($2::int, floor($3::float8))
    FROM (SELECT extract(epoch FROM clock_timestamp()) * 1000 AS now_ms) AS t
  ON CONFLICT (key) DO UPDATE SET
    granted = LEAST($2::int, floor(${REFILLED})),
    tokens = ${REFILLED} - LEAST($2::int, floor(${REFILLED})),
    at_ms = EXCLUDED.at_ms
  RETURNING granted, tokens`;

/**
 * Buckets in PostgreSQL, on a pool of its own (two connections: a lease is one short statement). The table
 * is made on first use if missing; two gateways starting together may both try, which PostgreSQL refuses to one.
 */
export function createPostgresStore(options: { url: string; password?: string; applicationName: string }): BucketStore {
  // pg lets the connection string override a separate `password` (with null when the URL has none): the
  // secret joins the URL, in memory only.
  const url = new URL(options.url);
  if (options.password !== undefined) url.password = encodeURIComponent(options.password);
  const pool = new pg.Pool({
    connectionString: url.toString(),
    max: 2,
    application_name: options.applicationName,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', () => undefined); // an idle connection dropped by the server: the next lease reconnects
  // Made on first use, not at start: a gateway whose database is down still starts and serves (limiting
  // alone, limiter.ts) and makes the table once the database is back.
  let table: Promise<void> | undefined;
  const ensureTable = () =>
    (table ??= pool
      .query(
        `CREATE UNLOGGED TABLE IF NOT EXISTS gateway_rate_buckets (
           key text PRIMARY KEY, tokens float8 NOT NULL, at_ms float8 NOT NULL, granted int NOT NULL)`,
      )
      .then(
        () => undefined,
        (err: unknown) => {
          // Another gateway made it at the same moment: unique violation (23505), duplicate table (42P07) or type (42710).
          const code = (err as { code?: string }).code;
          if (code === '23505' || code === '42P07' || code === '42710') return;
          table = undefined;
          throw err;
        },
      ));
  const sweep = setInterval(() => {
    pool
      .query('DELETE FROM gateway_rate_buckets WHERE at_ms < extract(epoch FROM clock_timestamp()) * 1000 - $1', [IDLE_ROW_MS])
      .catch(() => undefined);
  }, SWEEP_EVERY_MS);
  sweep.unref();
  return {
    kind: 'postgres',
    async lease(key, want, limit) {
      await ensureTable();
      const { rows } = await pool.query<{ granted: number; tokens: number }>({
        name: 'gateway-rate-lease',
        text: LEASE_SQL,
        values: [key, want, limit.burst, limit.perSecond],
      });
      const { granted, tokens } = rows[0]!;
      return { granted, retryAfterMs: granted > 0 ? 0 : retryAfterMs(tokens, limit) };
    },
    async close() {
      clearInterval(sweep);
      await pool.end();
    },
  };
}

// The same arithmetic in Lua, on Redis' clock; the key expires once the bucket would be full again.
const LEASE_LUA = `
local want, burst, rate = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local s = redis.call('HMGET', KEYS[1], 't', 'a')
local tokens = burst
if s[1] then tokens = math.min(burst, tonumber(s[1]) + math.max(0, now - tonumber(s[2])) * rate / 1000) end
local granted = math.min(want, math.floor(tokens))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'a', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / rate) + 1000)
return {granted, tostring(tokens)}`;

const REDIS_PREFIX = 'souk:gateway:rate:';

type LeaseRedis = Redis & { soukLease(key: string, want: number, burst: number, rate: number): Promise<[number, string]> };

/** Buckets in Redis: one script call per lease (EVALSHA once ioredis has loaded it). */
export function createRedisStore(url: string): BucketStore {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false }) as LeaseRedis;
  redis.on('error', () => undefined); // reconnects by itself; a lease that fails meanwhile falls back (limiter.ts)
  redis.defineCommand('soukLease', { numberOfKeys: 1, lua: LEASE_LUA });
  // Not awaited: a gateway whose Redis is down still starts; ioredis reconnects, and leases fail fast meanwhile.
  redis.connect().catch(() => undefined);
  return {
    kind: 'redis',
    async lease(key, want, limit) {
      const [granted, tokens] = await redis.soukLease(REDIS_PREFIX + key, want, limit.burst, limit.perSecond);
      return { granted, retryAfterMs: granted > 0 ? 0 : retryAfterMs(Number(tokens), limit) };
    },
    async close() {
      redis.disconnect();
    },
  };
}
