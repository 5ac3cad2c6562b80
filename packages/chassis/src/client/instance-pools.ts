// One undici keep-alive connection pool per instance a process calls, so calls
// reuse sockets instead of connecting each time, and pools of instances that
// left are closed (origin-pools.ts).

import { Pool, type buildConnector } from 'undici';
import { createOriginPools, type OriginPools, type OriginTarget } from './origin-pools.ts';

export interface PoolOptions {
  /** Most sockets to one instance; requests beyond wait in the pool's queue. */
  connections: number;
  /** Time allowed to open a connection (undici's default, 10 s, when unset). */
  connectTimeoutMs?: number;
  /** Opens each pool's connections (mutual TLS to `https:` instances); undici's plain connector when unset. */
  connector?: () => buildConnector.connector;
}

/** Where to send a request for one instance URL. */
export type PoolTarget = OriginTarget<Pool>;

export type InstancePools = OriginPools<Pool>;

export function createInstancePools(options: PoolOptions): InstancePools {
  return createOriginPools(
    (origin) =>
      new Pool(origin.origin, {
        connections: options.connections,
        // No pipelining: one slow response must not hold back the requests queued behind it.
        pipelining: 1,
        ...(options.connectTimeoutMs ? { connectTimeout: options.connectTimeoutMs } : {}),
        ...(options.connector ? { connect: options.connector() } : {}),
        // Below the upstream servers' keep-alive (Node's default 5 s; souk services keep 65 s) so the
        // client drops idle sockets first and never writes to one the server is closing.
        keepAliveTimeout: 4_000,
        keepAliveMaxTimeout: 60_000,
      }),
    (pool) => pool.close().catch(() => pool.destroy()),
  );
}
