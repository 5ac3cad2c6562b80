// The payments service's migrations in order; the chassis runs them at start
// (after its own, which include the event store's tables).

import type { Migration } from 'kysely';
import * as init from './001_init.ts';
import * as cancellations from './002_payment_cancellations.ts';
import * as cancellationsToJobs from './003_cancellations_to_jobs.ts';

export const migrations: Record<string, Migration> = {
  '001_init': init,
  '002_payment_cancellations': cancellations,
  '003_cancellations_to_jobs': cancellationsToJobs,
};
