// One connection pool per origin a process calls, found from an instance's base
// URL, and closed once no listed instance uses it. The service client keeps
// undici pools in it (instance-pools.ts), the gateway its own (upstream-pools.ts).

/** Where to send a request for one instance URL. */
export interface OriginTarget<P> {
  pool: P;
  /** `host` header value: the instance's host and port. */
  host: string;
  /** Path the instance URL carries (usually ''), put in front of the request path. */
  basePath: string;
}

export interface OriginPools<P> {
  /** The pool for an instance's base URL, created on first use. */
  target(url: string): OriginTarget<P>;
  /** Closes (after their in-flight requests) the pools of instances no longer listed. */
  retain(urls: Iterable<string>): void;
  /** The pools open now. */
  pools(): IterableIterator<P>;
  close(): Promise<void>;
}

export function createOriginPools<P>(open: (origin: URL) => P, close: (pool: P) => Promise<void>): OriginPools<P> {
  const targets = new Map<string, OriginTarget<P>>();
  const pools = new Map<string, P>();

  function poolFor(origin: URL): P {
    let pool = pools.get(origin.origin);
    if (pool === undefined) {
      pool = open(origin);
      pools.set(origin.origin, pool);
    }
    return pool;
  }

  return {
    target(url) {
      let target = targets.get(url);
      if (!target) {
        const parsed = new URL(url);
        target = { pool: poolFor(parsed), host: parsed.host, basePath: parsed.pathname.replace(/\/+$/, '') };
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
        void close(pool);
      }
    },
    pools: () => pools.values(),
    async close() {
      const all = [...pools.values()];
      pools.clear();
      targets.clear();
      await Promise.all(all.map(close));
    },
  };
}
