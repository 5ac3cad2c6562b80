// The settings schema each service published, and every version of its settings: append-only, so the
// table is the audit (who, when, why) and any version can be restored.

import { sql } from 'kysely';
import type { MigrationDb } from '@souk/chassis';

export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('settings_schemas')
    .addColumn('service', 'text', (c) => c.primaryKey())
    .addColumn('schema', 'jsonb', (c) => c.notNull())
    .addColumn('published_by', 'text', (c) => c.notNull())
    .addColumn('published_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('settings_versions')
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version > 0`))
    .addColumn('settings', 'jsonb', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('rollback_of', 'integer')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('settings_versions_pk', ['service', 'version'])
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('settings_versions').execute();
  await db.schema.dropTable('settings_schemas').execute();
}
