// The service's own PostgreSQL database through Kysely: a small pool, SQL
// spans (inside a recorded span only), and the service's migrations applied at start.

import { Kysely, Migrator, PostgresDialect, type LogEvent, type Migration } from 'kysely';
import pg from 'pg';
import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { activeSpanRecording } from '../tracing.ts';
import { PreparingClient } from './prepared.ts';
import type { Logger } from 'pino';

export type { Migration } from 'kysely';
/** A service's migrations by name; names sort in the order they apply (`001_init`, `002_...`). */
export type Migrations = Record<string, Migration>;

/**
 * The database a migration's `up` receives. Untyped on purpose, as Kysely advises: a
 * migration runs against the schema as it was when it was written, not as the service's
 * table types describe it today. Services name it instead of writing `Kysely<any>`,
 * which lint refuses outside the chassis.
 */
export type MigrationDb = Kysely<any>;

export interface DatabaseOptions {
  url: string;
  poolSize: number;
  applicationName: string;
  tracer: Tracer;
  log: Logger;
}

export interface Database {
  db: Kysely<any>;
  /** Applies pending migrations; `table` keeps a separate history (the chassis' own tables use one). */
  migrate(migrations: Migrations, table?: string): Promise<string[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

// Return int8 (bigint, count(*)) as numbers: counts and sequences here stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export function createDatabase(options: DatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    application_name: options.applicationName,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    // Statements marked `prepared` (db/prepared.ts) go as named prepared statements.
    Client: PreparingClient,
  });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', (err) => options.log.warn({ err }, 'idle database connection failed'));
  // Nor a checked-out one (pg-pool listens only while a client is idle): PostgreSQL ends the session
  // of a transaction left idle too long (the event layer sets idle_in_transaction_session_timeout),
  // and the pool drops the dead client when it comes back.
  pool.on('connect', (client) => {
    client.on('error', (err) => options.log.warn({ err }, 'database connection lost while in use'));
  });

  const db = new Kysely<any>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => recordQuerySpan(options.tracer, event),
  });

  return {
    db,
    async migrate(migrations, table) {
      const migrator = new Migrator({
        db,
        provider: { getMigrations: async () => migrations },
        ...(table ? { migrationTableName: table, migrationLockTableName: `${table}_lock` } : {}),
      });
      const { error, results } = await migrator.migrateToLatest();
      const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
      for (const r of results ?? [])
        if (r.status === 'Error') options.log.error({ migration: r.migrationName }, 'migration failed');
      if (error) throw new Error('database migration failed', { cause: error });
      return applied;
    },
    async ping() {
      const client = await pool.connect();
      try {
        await client.query('select 1');
      } finally {
        client.release();
      }
    },
    async close() {
      await db.destroy();
    },
  };
}

/**
 * Kysely reports each query after it ran, in the caller's async context, so the
 * span is recorded with its real start time under the current request's span.
 * Only under a recorded span: an unsampled request, and background work that
 * runs outside any span (relays, leases, pollers), cost one context lookup
 * per query and build no span and no SQL text.
 */
function recordQuerySpan(tracer: Tracer, event: LogEvent): void {
  if (!activeSpanRecording()) return;
  const end = Date.now();
  const sql = event.query.sql;
  const operation = sql.trimStart().split(/\s/, 1)[0]?.toUpperCase() ?? 'SQL';
  const span = tracer.startSpan(`db ${operation}`, {
    kind: SpanKind.CLIENT,
    startTime: end - event.queryDurationMillis,
    attributes: { 'db.system.name': 'postgresql', 'db.query.text': sql, 'db.operation.name': operation },
  });
  if (event.level === 'error') {
    span.recordException(event.error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end(end);
}
