// Prometheus metrics of the saga runner: step outcomes, how long sagas take,
// and how many are running or parked (read from the database at scrape time,
// so every instance reports the same numbers).

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SagaStatus } from './saga-definition.ts';

export type StepOutcome = 'succeeded' | 'retried' | 'failed' | 'compensated' | 'compensation_retried' | 'compensation_failed';

export interface SagaMetrics {
  steps: Counter<'saga' | 'step' | 'outcome'>;
  duration: Histogram<'saga' | 'status'>;
}

const SAGA_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];

/** Registers the metrics once per registry (two runners in one process share them). */
export function createSagaMetrics(
  registry: Registry,
  open: () => Promise<{ name: string; status: SagaStatus; n: number }[]>,
): SagaMetrics {
  const existing = registry.getSingleMetric('souk_saga_steps_total') as SagaMetrics['steps'] | undefined;
  if (existing)
    return { steps: existing, duration: registry.getSingleMetric('souk_saga_duration_seconds') as SagaMetrics['duration'] };

  const gauge = (name: string, help: string, statuses: readonly SagaStatus[]) =>
    new Gauge({
      name,
      help,
      labelNames: ['saga'],
      registers: [registry],
      async collect() {
        try {
          const rows = await open();
          this.reset();
          for (const r of rows) if (statuses.includes(r.status)) this.inc({ saga: r.name }, r.n);
        } catch {
          // The database is away: no value rather than a failed scrape.
        }
      },
    });
  gauge('souk_sagas_running', 'Sagas with work left (running or compensating).', ['RUNNING', 'COMPENSATING']);
  gauge('souk_sagas_parked', 'Sagas whose compensation kept failing: an operator must look (POST /_admin/sagas/{id}/retry).', [
    'PARKED',
  ]);
  return {
    steps: new Counter({
      name: 'souk_saga_steps_total',
      help: 'Attempts of saga steps and compensations, by outcome.',
      labelNames: ['saga', 'step', 'outcome'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'souk_saga_duration_seconds',
      help: 'From the start of a saga to its end (COMPLETED, COMPENSATED or PARKED).',
      labelNames: ['saga', 'status'],
      buckets: SAGA_BUCKETS,
      registers: [registry],
    }),
  };
}
