// The jobs module's public surface (re-exported by the chassis index): periodic ticks, and leased,
// durable background work with one backoff policy, parking and operator retry.
export { startPeriodic, type Periodic, type PeriodicOptions, type PeriodicSchedule, type PeriodicOutcome } from './periodic.ts';
export {
  createJobRunner,
  defineJob,
  DEFAULT_JOB_LEASE_MS,
  DEFAULT_JOB_POLL_INTERVAL_MS,
  DEFAULT_JOB_CONCURRENCY,
} from './job-runner.ts';
export type { JobRunner, JobRunnerOptions, JobKind, JobContext, EnqueueOptions } from './job-runner.ts';
export { useJobs } from './use-jobs.ts';
export type { UseJobsOptions } from './use-jobs.ts';
export { registerJobRoutes, JOB_ADMIN_PATH } from './job-routes.ts';
export type { JobView } from './job-view.ts';
export type { JobStatus } from './job-store.ts';
export { JOB_STATUSES } from './job-store.ts';
export { permanentFailure, isPermanentFailure, DEFAULT_JOB_BACKOFF, DEFAULT_JOB_PARK_AFTER } from './job-rules.ts';
export type { PermanentFailure } from './job-rules.ts';
export { jobErrors } from './errors.ts';
