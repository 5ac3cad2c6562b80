// Row types of the schema registry's tables, for a typed Kysely over ctx.db.

import type { ColumnType, Generated, Transaction } from 'kysely';
import type { ChassisTables, ServiceDb } from '@souk/chassis';

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

/** The service's database as its code sees it: these tables and the chassis' own. */
export type SchemaRegistryDatabase = ServiceDb<SchemaRegistryDb>;
/** A transaction on it, for the writes that must run inside one (they lock a subject first). */
export type SchemaRegistryTransaction = Transaction<SchemaRegistryDb & ChassisTables>;
