// The config server's migrations in order; the chassis runs them at start.

import type { Migration } from 'kysely';
import * as init from './001_init.ts';
import * as environments from './002_environments.ts';

export const migrations: Record<string, Migration> = {
  '001_init': init,
  '002_environments': environments,
};
