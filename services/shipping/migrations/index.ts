// The shipping service's migrations in order; the chassis runs them at start.

import type { Migration } from 'kysely';
import * as init from './001_init.ts';
import * as paymentJoin from './002_payment_join.ts';

export const migrations: Record<string, Migration> = {
  '001_init': init,
  '002_payment_join': paymentJoin,
};
