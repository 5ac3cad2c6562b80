// Background work's public surface, re-exported whole by the chassis index: periodic ticks, and leased,
// durable jobs with one backoff policy, parking and operator retry.
export { startPeriodic, type Periodic, type PeriodicSchedule } from './periodic.ts';
export { defineJob, type JobKind, type JobContext, type JobRunner } from './job-runner.ts';
export { useJobs } from './use-jobs.ts';
export type { JobView } from './job-view.ts';
export { permanentFailure, isPermanentFailure } from './job-rules.ts';
