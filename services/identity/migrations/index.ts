// Identity's migrations in order; the chassis runs them at start.

import type { Migration } from 'kysely';
import * as init from './001_init.ts';
import * as ipLoginFailures from './002_ip_login_failures.ts';

export const migrations: Record<string, Migration> = {
  '001_init': init,
  '002_ip_login_failures': ipLoginFailures,
};
