// Settings versions in PostgreSQL. A change locks its service's schema row, so changes to one service
// are numbered one after the other; it is validated inside that lock against the schema in effect, and
// its commit notifies every config instance (LISTEN souk_config), which answers the watches it holds.

import { sql } from 'kysely';
import type { ConfigVersion, HistoryEntry } from '@souk/chassis';
import type { ConfigDatabase } from './db.ts';
import { diffSettings } from './diff.ts';
import { configErrors } from './errors.ts';
import { checkSettings, validatorOf } from './validation.ts';

export const CONFIG_CHANNEL = 'souk_config';
/** The most versions a history read returns. */
export const HISTORY_LIMIT = 100;

interface VersionRow {
  service: string;
  version: number;
  settings: Record<string, unknown>;
  author: string;
  reason: string;
  rollback_of: number | null;
  created_at: Date;
}

const toVersion = (row: VersionRow): ConfigVersion => ({
  service: row.service,
  version: row.version,
  settings: row.settings,
  author: row.author,
  reason: row.reason,
  createdAt: row.created_at.toISOString(),
  ...(row.rollback_of === null ? {} : { rollbackOf: row.rollback_of }),
});

const nothingSet = (service: string): ConfigVersion => ({ service, version: 0, settings: {} });

export interface NewVersion {
  settings: object;
  reason: string;
  author: string;
  basedOn?: number | undefined;
  rollbackOf?: number;
}

export function createStore(db: ConfigDatabase) {
  async function latest(service: string, trx: ConfigDatabase = db): Promise<VersionRow | undefined> {
    return trx
      .selectFrom('settings_versions')
      .selectAll()
      .where('service', '=', service)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /** Writes the next version, validated against the service's schema; throws 409/422 without writing. */
  async function append(service: string, next: NewVersion): Promise<ConfigVersion> {
    return db.transaction().execute(async (trx) => {
      const schema = await trx
        .selectFrom('settings_schemas')
        .select('schema')
        .where('service', '=', service)
        .forUpdate()
        .executeTakeFirst();
      if (!schema) {
        throw configErrors.noSchema(`${service} has not published a settings schema: start it once, then set its settings.`);
      }
      const current = await latest(service, trx);
      const currentVersion = current?.version ?? 0;
      if (next.basedOn !== undefined && next.basedOn !== currentVersion) {
        throw configErrors.versionConflict({
          detail: `The change was made from version ${next.basedOn} of ${service}'s settings, but version ${currentVersion} is in effect now.`,
          extensions: { current: currentVersion },
        });
      }
      checkSettings(service, schema.schema, next.settings);
      const row = await trx
        .insertInto('settings_versions')
        .values({
          service,
          version: currentVersion + 1,
          settings: JSON.stringify(next.settings),
          author: next.author,
          reason: next.reason,
          rollback_of: next.rollbackOf ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await sql`select pg_notify(${CONFIG_CHANNEL}, ${service})`.execute(trx);
      return toVersion(row);
    });
  }

  return {
    /** Records the schema `service` published (it replaces the one before); 400 when it cannot be used. */
    async publishSchema(service: string, schema: object, by: string): Promise<void> {
      validatorOf(schema);
      await db
        .insertInto('settings_schemas')
        .values({ service, schema: JSON.stringify(schema), published_by: by })
        .onConflict((c) =>
          c.column('service').doUpdateSet({ schema: JSON.stringify(schema), published_by: by, published_at: new Date() }),
        )
        .execute();
    },

    async schemaOf(service: string): Promise<object | undefined> {
      const row = await db.selectFrom('settings_schemas').select('schema').where('service', '=', service).executeTakeFirst();
      return row?.schema;
    },

    /** The version in effect (version 0 with no settings when nothing was ever set). */
    async current(service: string): Promise<ConfigVersion> {
      const row = await latest(service);
      return row ? toVersion(row) : nothingSet(service);
    },

    change: append,

    /** Makes the settings of `version` the next version; 404 when there is none, 422 when today's schema refuses them. */
    async rollback(service: string, to: { version: number; reason: string; author: string }): Promise<ConfigVersion> {
      const earlier = await db
        .selectFrom('settings_versions')
        .selectAll()
        .where('service', '=', service)
        .where('version', '=', to.version)
        .executeTakeFirst();
      if (!earlier) throw configErrors.versionNotFound(`${service} has no settings version ${to.version}.`);
      return append(service, { settings: earlier.settings, reason: to.reason, author: to.author, rollbackOf: to.version });
    },

    /** The newest versions first, each with what it changed against the one before it. */
    async history(service: string): Promise<HistoryEntry[]> {
      const rows = (await db
        .selectFrom('settings_versions')
        .selectAll()
        .where('service', '=', service)
        .orderBy('version', 'desc')
        .limit(HISTORY_LIMIT + 1)
        .execute()) as VersionRow[];
      return rows.slice(0, HISTORY_LIMIT).map((row, i) => ({
        ...toVersion(row),
        changes: diffSettings(rows[i + 1]?.settings ?? {}, row.settings),
      }));
    },

    /** Every service with a schema or settings, and its version in effect. */
    async services(): Promise<{ service: string; version: number }[]> {
      const { rows } = await sql<{ service: string; version: number }>`
        select s.service, coalesce(max(v.version), 0)::int as version
        from settings_schemas s left join settings_versions v using (service)
        group by s.service order by s.service`.execute(db);
      return rows;
    },
  };
}

export type ConfigStore = ReturnType<typeof createStore>;
