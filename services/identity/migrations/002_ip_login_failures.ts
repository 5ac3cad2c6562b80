// Failed sign-ins per client IP, across accounts: the second key of the
// progressive delays (src/throttle), against spraying one guess per account.

import { sql } from 'kysely';
import type { MigrationDb } from '@souk/chassis';

export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('ip_login_failures')
    .addColumn('ip', 'text', (c) => c.primaryKey())
    .addColumn('failed_at', sql`timestamptz[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ip_login_failures_updated_idx').on('ip_login_failures').column('updated_at').execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('ip_login_failures').ifExists().execute();
}
