// Wires a jobs runner into a service: its instance id as the lease owner, its
// database, logs and metrics, the admin routes, and a stop at shutdown. Call
// it once per service, with every job kind the service runs.

import type { ServiceContext } from '../service.ts';
import { workerDeps, type WorkerDeps } from './worker-deps.ts';
import { registerJobRoutes } from './job-routes.ts';
import { createJobRunner, type JobRunner, type JobRunnerOptions } from './job-runner.ts';

export type UseJobsOptions = Omit<JobRunnerOptions, keyof WorkerDeps>;

/** Call in setup: the runner starts claiming at once and stops (awaiting the jobs in flight) when the service does. */
export function useJobs(ctx: ServiceContext, options: UseJobsOptions): JobRunner {
  const runner = createJobRunner({
    ...workerDeps(ctx),
    ...options,
  });
  registerJobRoutes(ctx.app, runner, ctx.auth.required({ roles: ['admin'] }));
  ctx.onClose(() => runner.stop());
  runner.run();
  return runner;
}
