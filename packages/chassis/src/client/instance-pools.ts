// One undici keep-alive connection pool per instance a process calls, shared by
// the service client and the gateway, so calls reuse sockets instead of
// connecting each time, and pools of instances that left are closed.

import { Pool } from 'undici';

export interface PoolOptions {
  /** Most sockets to one instance; requests beyond wait in the pool's queue. */
  connections: number;
  /** Time allowed to open a connection (undici's default, 10 s, when unset). */
  connectTimeoutMs?: number;
}

/** Where to send a request for one instance URL. */
export interface PoolTarget {
  pool: Pool;
  /** Path the instance URL carries (usually ''), put in front of the request path. */
  basePath: string;
}

export interface InstancePools {
  /** The pool for an instance's base URL, created on first use. */
  target(url: string): PoolTarget;
  /** Closes (after their in-flight requests) the pools of instances no longer listed. */
  retain(urls: Iterable<string>): void;
  close(): Promise<void>;
}

export function createInstancePools(options: PoolOptions): InstancePools {
  const targets = new Map<string, PoolTarget>();
  const pools = new Map<string, Pool>();

  function poolFor(origin: string): Pool {
    let pool = pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: options.connections,
        // No pipelining: one slow response must not hold back the requests queued behind it.
        pipelining: 1,
        ...(options.connectTimeoutMs ? { connectTimeout: options.connectTimeoutMs } : {}),
        // Below the upstream servers' keep-alive (Node's default 5 s; souk services keep 65 s) so the
        // gateway drops idle sockets first and never writes to one the server is closing.
        keepAliveTimeout: 4_000,
        keepAliveMaxTimeout: 60_000,
      });
      pools.set(origin, pool);
    }
    return pool;
  }

  return {
    target(url) {
      let target = targets.get(url);
      if (!target) {
        const parsed = new URL(url);
        target = { pool: poolFor(parsed.origin), basePath: parsed.pathname.replace(/\/+$/, '') };
        targets.set(url, target);
      }
      return target;
    },
    retain(urls) {
      const liveOrigins = new Set<string>();
      const liveUrls = new Set(urls);
      for (const url of liveUrls) liveOrigins.add(new URL(url).origin);
      for (const url of targets.keys()) if (!liveUrls.has(url)) targets.delete(url);
      for (const [origin, pool] of pools) {
        if (liveOrigins.has(origin)) continue;
        pools.delete(origin);
        void pool.close().catch(() => pool.destroy());
      }
    },
    async close() {
      const all = [...pools.values()];
      pools.clear();
      targets.clear();
      await Promise.all(all.map((p) => p.close().catch(() => p.destroy())));
    },
  };
}
