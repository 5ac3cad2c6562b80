// Schema registry tables: schemas by global id (one row per distinct schema
// text), the versions of each subject pointing at them, and compatibility
// levels (the global one and per-subject overrides).

import { sql } from 'kysely';
import type { MigrationDb } from '@souk/chassis';

export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('schemas')
    // Ids start at 1 and are never reused, like Confluent's: a message carries one for ever.
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('schema_type', 'text', (c) => c.notNull().defaultTo('JSON'))
    .addColumn('schema', 'text', (c) => c.notNull())
    // sha-256 of the type and canonical text: the same schema under any subject gets the same id.
    .addColumn('fingerprint', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('subject_versions')
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version > 0`))
    .addColumn('schema_id', 'integer', (c) => c.notNull().references('schemas.id'))
    // Soft-deleted versions stay readable by id and with ?deleted=true, as Confluent keeps them.
    .addColumn('deleted', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('subject_versions_pk', ['subject', 'version'])
    .execute();
  // A subject never holds the same schema twice among its live versions, whatever races happen.
  await db.schema
    .createIndex('subject_versions_live_schema')
    .on('subject_versions')
    .columns(['subject', 'schema_id'])
    .unique()
    .where(sql.ref('deleted'), '=', false)
    .execute();
  await db.schema.createIndex('subject_versions_schema_idx').on('subject_versions').column('schema_id').execute();

  await db.schema
    .createTable('compatibility_levels')
    // '' holds the global level; a real subject is never empty.
    .addColumn('subject', 'text', (c) => c.primaryKey())
    .addColumn('level', 'text', (c) =>
      c
        .notNull()
        .check(
          sql`level in ('BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE', 'NONE')`,
        ),
    )
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('compatibility_levels').execute();
  await db.schema.dropTable('subject_versions').execute();
  await db.schema.dropTable('schemas').execute();
}
