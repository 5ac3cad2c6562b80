// Row types of the schema registry's tables, for a typed Kysely over ctx.db.

import type { ColumnType, Generated, Kysely } from 'kysely';

export interface SchemaTable {
  id: Generated<number>;
  schema_type: ColumnType<string, string | undefined, never>;
  schema: string;
  fingerprint: string;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export interface SubjectVersionTable {
  subject: string;
  version: number;
  schema_id: number;
  deleted: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export interface CompatibilityLevelTable {
  /** '' is the global level. */
  subject: string;
  level: string;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface SchemaRegistryDb {
  schemas: SchemaTable;
  subject_versions: SubjectVersionTable;
  compatibility_levels: CompatibilityLevelTable;
}

export type SchemaRegistryDatabase = Kysely<SchemaRegistryDb>;
