// Row types of the config server's tables, for a typed Kysely over ctx.db.

import type { ColumnType } from 'kysely';
import type { ServiceDb } from '@souk/chassis';

export interface SettingsSchemaTable {
  service: string;
  schema: ColumnType<object, string, string>;
  published_by: string;
  published_at: ColumnType<Date, Date | undefined, Date>;
}

export interface SettingsVersionTable {
  service: string;
  /** '' for the service's base document; else the environment whose document applies over it. */
  environment: ColumnType<string, string | undefined, never>;
  version: number;
  settings: ColumnType<Record<string, unknown>, string, never>;
  author: string;
  reason: string;
  rollback_of: number | null;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export interface ConfigDb {
  settings_schemas: SettingsSchemaTable;
  settings_versions: SettingsVersionTable;
}

export type ConfigDatabase = ServiceDb<ConfigDb>;
