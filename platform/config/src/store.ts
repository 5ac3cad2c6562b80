// Settings versions in PostgreSQL. A change locks its service's schema row, so changes to one service
// are numbered one after the other; it is validated inside that lock against the schema in effect, and
// its commit notifies every config instance (LISTEN souk_config), which answers the watches it holds.
// Each service has a base document (environment '') and may have one per environment, which applies over
// the base as a JSON Merge Patch; each is numbered and audited on its own, and what a service in an
// environment gets (the merge) is validated whenever either document changes.

import { sql } from 'kysely';
import { applyMergePatch, type ConfigVersion, type HistoryEntry } from '@souk/chassis';
import type { ConfigDatabase } from './db.ts';
import { diffSettings } from './diff.ts';
import { configErrors } from './errors.ts';
import { checkSettings, validatorOf } from './validation.ts';

export const CONFIG_CHANNEL = 'souk_config';
/** The most versions a history read returns. */
export const HISTORY_LIMIT = 100;

/** The environment of a service's base document. */
export const BASE = '';

interface VersionRow {
  service: string;
  environment: string;
  version: number;
  settings: Record<string, unknown>;
  author: string;
  reason: string;
  rollback_of: number | null;
  created_at: Date;
}

const toVersion = (row: VersionRow): ConfigVersion => ({
  service: row.service,
  ...(row.environment === BASE ? {} : { environment: row.environment }),
  version: row.version,
  settings: row.settings,
  author: row.author,
  reason: row.reason,
  createdAt: row.created_at.toISOString(),
  ...(row.rollback_of === null ? {} : { rollbackOf: row.rollback_of }),
});

const nothingSet = (service: string): ConfigVersion => ({ service, version: 0, settings: {} });
const where = (environment: string) => (environment === BASE ? '' : ` in ${environment}`);

export interface NewVersion {
  settings: object;
  reason: string;
  author: string;
  basedOn?: number | undefined;
  rollbackOf?: number;
}

export function createStore(db: ConfigDatabase) {
  async function latest(service: string, environment: string, trx: ConfigDatabase = db): Promise<VersionRow | undefined> {
    return trx
      .selectFrom('settings_versions')
      .selectAll()
      .where('service', '=', service)
      .where('environment', '=', environment)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /** The newest document of each environment of `service` (not the base). */
  async function environmentsOf(service: string, trx: ConfigDatabase): Promise<VersionRow[]> {
    return trx
      .selectFrom('settings_versions')
      .selectAll()
      .distinctOn('environment')
      .where('service', '=', service)
      .where('environment', '<>', BASE)
      .orderBy('environment')
      .orderBy('version', 'desc')
      .execute();
  }

  /**
   * Writes the next version of a document, validated against the service's schema: the base as it is and
   * under each environment's document, an environment's merged over the base. Throws 409/422 without writing.
   */
  async function append(service: string, environment: string, next: NewVersion): Promise<ConfigVersion> {
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
      const current = await latest(service, environment, trx);
      const currentVersion = current?.version ?? 0;
      const base = environment === BASE ? undefined : await latest(service, BASE, trx);
      // As a read of the same place shows it: in an environment, the base's version and the document's together.
      const seenVersion = (base?.version ?? 0) + currentVersion;
      if (next.basedOn !== undefined && next.basedOn !== seenVersion) {
        throw configErrors.versionConflict({
          detail: `The change was made from version ${next.basedOn} of ${service}'s settings${where(environment)}, but version ${seenVersion} is in effect now.`,
          extensions: { current: seenVersion },
        });
      }
      if (environment === BASE) {
        checkSettings(service, schema.schema, next.settings);
        for (const env of await environmentsOf(service, trx))
          checkSettings(service, schema.schema, applyMergePatch(next.settings, env.settings), ` in ${env.environment}`);
      } else {
        checkSettings(service, schema.schema, applyMergePatch(base?.settings ?? {}, next.settings), ` in ${environment}`);
      }
      const row = await trx
        .insertInto('settings_versions')
        .values({
          service,
          environment,
          version: currentVersion + 1,
          settings: JSON.stringify(next.settings),
          author: next.author,
          reason: next.reason,
          rollback_of: next.rollbackOf ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      // Every watch of the service wakes, whatever its environment: a base change reaches them all.
      await sql`select pg_notify(${CONFIG_CHANNEL}, ${service})`.execute(trx);
      const written = toVersion(row);
      if (environment === BASE) return written;
      // What the service now gets there, as a read shows it.
      return {
        ...written,
        version: (base?.version ?? 0) + written.version,
        layers: { base: base?.version ?? 0, environment: written.version },
        settings: applyMergePatch(base?.settings ?? {}, written.settings) as Record<string, unknown>,
      };
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

    /**
     * What `service` gets in `environment` (the base alone for BASE): version 0 with no settings when
     * nothing was ever set. In an environment, the base with its document merged over it; the version is
     * the sum of the two (it grows with either), and who, why and when are those of the newer change.
     */
    async current(service: string, environment = BASE): Promise<ConfigVersion> {
      if (environment === BASE) {
        const base = await latest(service, BASE);
        return base ? toVersion(base) : nothingSet(service);
      }
      const [base, own] = await Promise.all([latest(service, BASE), latest(service, environment)]);
      const newer = own && (!base || own.created_at >= base.created_at) ? own : base;
      return {
        ...(newer ? toVersion(newer) : nothingSet(service)),
        service,
        environment,
        version: (base?.version ?? 0) + (own?.version ?? 0),
        layers: { base: base?.version ?? 0, environment: own?.version ?? 0 },
        settings: applyMergePatch(base?.settings ?? {}, own?.settings ?? {}) as Record<string, unknown>,
      };
    },

    /** The document itself (an environment's is a merge patch), at its own version. */
    async document(service: string, environment: string): Promise<ConfigVersion> {
      const row = await latest(service, environment);
      return row ? toVersion(row) : { ...nothingSet(service), ...(environment === BASE ? {} : { environment }) };
    },

    change: append,

    /** Makes the settings of `version` of a document its next version; 404 when there is none, 422 when today's schema refuses them. */
    async rollback(
      service: string,
      environment: string,
      to: { version: number; reason: string; author: string },
    ): Promise<ConfigVersion> {
      const earlier = await db
        .selectFrom('settings_versions')
        .selectAll()
        .where('service', '=', service)
        .where('environment', '=', environment)
        .where('version', '=', to.version)
        .executeTakeFirst();
      if (!earlier) throw configErrors.versionNotFound(`${service} has no settings version ${to.version}${where(environment)}.`);
      return append(service, environment, {
        settings: earlier.settings,
        reason: to.reason,
        author: to.author,
        rollbackOf: to.version,
      });
    },

    /** A document's newest versions first, each with what it changed against the one before it. */
    async history(service: string, environment = BASE): Promise<HistoryEntry[]> {
      const rows = (await db
        .selectFrom('settings_versions')
        .selectAll()
        .where('service', '=', service)
        .where('environment', '=', environment)
        .orderBy('version', 'desc')
        .limit(HISTORY_LIMIT + 1)
        .execute()) as VersionRow[];
      return rows.slice(0, HISTORY_LIMIT).map((row, i) => ({
        ...toVersion(row),
        changes: diffSettings(rows[i + 1]?.settings ?? {}, row.settings),
      }));
    },

    /** Every service with a schema or settings, the version of its base document, and its environments. */
    async services(): Promise<{ service: string; version: number; environments: string[] }[]> {
      const { rows } = await sql<{ service: string; version: number; environments: string[] }>`
        select s.service,
               coalesce(max(v.version) filter (where v.environment = ''), 0)::int as version,
               coalesce(array_agg(distinct v.environment) filter (where v.environment <> ''), '{}') as environments
        from settings_schemas s left join settings_versions v using (service)
        group by s.service order by s.service`.execute(db);
      return rows;
    },
  };
}

export type ConfigStore = ReturnType<typeof createStore>;
