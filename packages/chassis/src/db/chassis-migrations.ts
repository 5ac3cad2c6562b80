// The chassis' own tables in every service database (outbox, inbox, feed
// cursors, dead letters, event store, sagas, jobs), migrated before the service's
// own migrations under a separate migration table. Names sort in apply order.

import type { Migrations } from './database.ts';
import { eventMigrations } from '../events/migrations.ts';
import { eventStoreMigrations } from '../event-store/migrations.ts';
import { jobMigrations } from '../jobs/migrations.ts';
import { sagaMigrations } from '../saga/migrations.ts';

export const chassisMigrations: Migrations = {
  ...eventMigrations,
  ...eventStoreMigrations,
  ...sagaMigrations,
  ...jobMigrations,
};
