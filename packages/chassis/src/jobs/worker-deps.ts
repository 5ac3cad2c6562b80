// What a service's leased worker (the jobs runner, the saga runner) takes from
// its context: the database, logs and metrics, the instance id as the lease
// owner, and the database URL to LISTEN on for wake-ups.

import type { ServiceContext } from '../service.ts';

export interface WorkerDeps {
  db: ServiceContext['db'];
  log: ServiceContext['log'];
  metrics: ServiceContext['metrics'];
  owner: string;
  databaseUrl?: string;
}

export function workerDeps(ctx: ServiceContext): WorkerDeps {
  return {
    db: ctx.db,
    log: ctx.log,
    metrics: ctx.metrics,
    owner: ctx.instanceId,
    ...(ctx.databaseUrl ? { databaseUrl: ctx.databaseUrl } : {}),
  };
}
