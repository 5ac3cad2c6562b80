// The telemetry backend's migrations in order; the chassis runs them at start.

import type { Migration } from 'kysely';
import * as init from './001_init.ts';
import * as logProblems from './002_log_problems.ts';

export const migrations: Record<string, Migration> = {
  '001_init': init,
  '002_log_problems': logProblems,
};
