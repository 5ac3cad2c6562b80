// The notifications service's migrations in order; the chassis runs them at start.

import type { Migration } from 'kysely';
import * as init from './001_init.ts';
import * as orderMessages from './002_order_messages.ts';

export const migrations: Record<string, Migration> = {
  '001_init': init,
  '002_order_messages': orderMessages,
};
