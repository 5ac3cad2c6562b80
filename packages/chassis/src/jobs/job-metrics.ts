// Prometheus metrics of the jobs module: attempts by kind and outcome, and how
// many jobs are pending or parked (read from the database at scrape time, so
// every instance reports the same numbers).

import { Counter, Gauge, type Registry } from 'prom-client';
import type { JobStatus } from './job-store.ts';

export type JobOutcome = 'done' | 'retried' | 'parked' | 'interrupted';

export type JobAttempts = Counter<'kind' | 'outcome'>;

/** Registers the metrics once per registry (two runners in one process share them). */
export function createJobMetrics(
  registry: Registry,
  kinds: readonly string[],
  open: () => Promise<{ kind: string; status: JobStatus; n: number }[]>,
): JobAttempts {
  const existing = registry.getSingleMetric('souk_job_attempts_total') as JobAttempts | undefined;
  if (existing) return existing;

  const gauge = (name: string, help: string, status: JobStatus) =>
    new Gauge({
      name,
      help,
      labelNames: ['kind'],
      registers: [registry],
      async collect() {
        try {
          const rows = await open();
          this.reset();
          for (const kind of kinds) this.set({ kind }, 0);
          for (const r of rows) if (r.status === status) this.set({ kind: r.kind }, r.n);
        } catch {
          // The database is away: no value rather than a failed scrape.
        }
      },
    });
  gauge('souk_jobs_pending', 'Background jobs waiting for an attempt or being attempted.', 'PENDING');
  gauge('souk_jobs_parked', 'Background jobs that kept failing: an operator must look (POST /_admin/jobs/{id}/retry).', 'PARKED');
  return new Counter({
    name: 'souk_job_attempts_total',
    help: 'Attempts of background jobs, by kind and how they ended (done, retried, parked, interrupted).',
    labelNames: ['kind', 'outcome'],
    registers: [registry],
  });
}
