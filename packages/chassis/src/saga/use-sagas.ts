// Wires a saga runner into a service: its instance id as the lease owner, its
// database, logs and metrics, the admin routes, and a stop at shutdown.

import type { ServiceContext } from '../service.ts';
import { workerDeps, type WorkerDeps } from '../jobs/worker-deps.ts';
import { registerSagaRoutes } from './saga-routes.ts';
import { createSagaRunner, type SagaRunner, type SagaRunnerOptions } from './saga-runner.ts';

export type UseSagasOptions = Omit<SagaRunnerOptions, keyof WorkerDeps>;

/** Call in setup: the runner starts claiming at once and stops when the service does. */
export function useSagas(ctx: ServiceContext, options: UseSagasOptions): SagaRunner {
  const runner = createSagaRunner({
    ...workerDeps(ctx),
    ...options,
  });
  registerSagaRoutes(ctx.app, runner, ctx.auth.required({ roles: ['admin'] }));
  // Requests waiting for a saga (Prefer: wait) answer before the server drains, so draining never waits them out.
  ctx.app.addHook('preClose', async () => runner.endWaits());
  ctx.onClose(() => runner.stop());
  runner.run();
  return runner;
}
