// Settings per environment: beside each service's base document (environment ''), a document per
// environment that applies over it as a JSON Merge Patch, numbered and audited on its own.

import { sql } from 'kysely';
import type { MigrationDb } from '@souk/chassis';

export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .alterTable('settings_versions')
    .addColumn('environment', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema.alterTable('settings_versions').dropConstraint('settings_versions_pk').execute();
  await db.schema
    .alterTable('settings_versions')
    .addPrimaryKeyConstraint('settings_versions_pk', ['service', 'environment', 'version'])
    .execute();
  await sql`comment on column settings_versions.environment is 'empty: the base document of the service'`.execute(db);
}

export async function down(db: MigrationDb): Promise<void> {
  await db.deleteFrom('settings_versions').where('environment', '<>', '').execute();
  await db.schema.alterTable('settings_versions').dropConstraint('settings_versions_pk').execute();
  await db.schema
    .alterTable('settings_versions')
    .addPrimaryKeyConstraint('settings_versions_pk', ['service', 'version'])
    .execute();
  await db.schema.alterTable('settings_versions').dropColumn('environment').execute();
}
