// The service's own PostgreSQL database through Kysely: a small pool whose
// statements are prepared once per connection, SQL spans (inside a recorded
// span only), and the service's migrations applied at start.

import { Kysely, Migrator, PostgresDialect, type LogEvent, type Migration } from 'kysely';
import pg from 'pg';
import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { activeSpanRecording } from '../tracing.ts';
import { beginThen, emptyResult, endCommand, foldable, isBegin } from './folded-begin.ts';
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
  /** The role's password when the URL carries none (it comes from a secret, not the environment). */
  password?: string;
  poolSize: number;
  applicationName: string;
  tracer: Tracer;
  log: Logger;
  /** Distinct statement texts prepared by name (MAX_PREPARED_STATEMENTS); 0 runs every statement unnamed. */
  maxPreparedStatements?: number;
}

export interface Database {
  db: Kysely<any>;
  /**
   * The connection URL, the password from the secret included (in memory only), for the connections a
   * process opens beside the pool: LISTEN for wake-ups, the NATS relay's.
   */
  readonly connectionUrl: string;
  /** Applies pending migrations; `table` keeps a separate history (the chassis' own tables use one). */
  migrate(migrations: Migrations, table?: string): Promise<string[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

// Return int8 (bigint, count(*)) as numbers: counts and sequences here stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/**
 * Distinct statement texts a process prepares by name. A service runs a few dozen; texts built from
 * data (an `in` list of varying length) could run to thousands, so past this many new texts run
 * unnamed (parsed and planned on every call, as before) and no connection holds more than this.
 */
export const MAX_PREPARED_STATEMENTS = 500;

/**
 * Gives each statement text with parameters a name, so that each connection parses and analyses it
 * once and then only binds and executes it (PostgreSQL still plans per call where the values matter:
 * its plan cache keeps custom plans unless a generic one costs no more). For the cart's write (five
 * statements) this took PostgreSQL's CPU from ~700 to ~400 µs. One map per pool: names are unique
 * per text, which node-postgres requires of a connection's statements.
 */
function preparedNames(limit: number): (text: string) => string | undefined {
  const names = new Map<string, string>();
  return (text) => {
    let name = names.get(text);
    if (name === undefined && names.size < limit) {
      name = `souk_${names.size}`;
      names.set(text, name);
    }
    return name;
  };
}

type QueryCallback = (err: Error | null, result: pg.QueryResult) => void;

/**
 * Routes the client's `query(text, values)` calls (Kysely's only form) through named statements, and
 * folds each transaction's BEGIN into its first statement (folded-begin.ts): a BEGIN is held, answered
 * at once, and sent in the same write as the next statement; a COMMIT or ROLLBACK with the BEGIN still
 * held ends a transaction that never started, so neither is sent.
 */
function prepareStatements(client: pg.PoolClient, nameOf: (text: string) => string | undefined): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  let heldBegin: string | undefined;
  (client as { query: unknown }).query = (config: unknown, values?: unknown, callback?: QueryCallback) => {
    if (typeof config === 'string' && callback === undefined && (values === undefined || Array.isArray(values))) {
      const params = (values ?? []) as unknown[];
      if (heldBegin === undefined) {
        if (params.length === 0 && isBegin(config)) {
          heldBegin = config;
          return Promise.resolve(emptyResult('BEGIN'));
        }
      } else {
        const end = params.length === 0 ? endCommand(config) : undefined;
        if (end !== undefined) {
          heldBegin = undefined;
          return Promise.resolve(emptyResult(end));
        }
        if (foldable(config, params)) {
          const begin = heldBegin;
          heldBegin = undefined;
          return beginThen(query, begin, nameOf(begin), params.length > 0 ? nameOf(config) : undefined, config, params);
        }
      }
    }
    if (heldBegin !== undefined) {
      // A statement that cannot follow it in one pipeline (several statements in one text, COPY, a
      // caller's callback or Query object): the BEGIN goes first, on its own, as it always did. Its
      // failure is the caller's (a promise caller's; one with a callback meets it on its statement,
      // which runs in the same session state: a dead connection or a failed transaction).
      const begun = query(heldBegin) as Promise<unknown>;
      heldBegin = undefined;
      const result = send(query, nameOf, config, values, callback);
      if (!(result instanceof Promise)) {
        begun.catch(() => undefined);
        return result;
      }
      return Promise.all([begun, result]).then(([, r]) => r as unknown);
    }
    return send(query, nameOf, config, values, callback);
  };
}

/** One statement as it goes without a held BEGIN: named when it has parameters and a name is left. */
function send(
  query: (...args: unknown[]) => unknown,
  nameOf: (text: string) => string | undefined,
  config: unknown,
  values?: unknown,
  callback?: QueryCallback,
): unknown {
  if (typeof config === 'string' && Array.isArray(values) && values.length > 0) {
    const name = nameOf(config);
    if (name !== undefined) return namedQuery(query, name, config, values, callback);
  }
  return query(config, values, callback);
}

/**
 * Submits a named statement as a Query made from its text, then named, and gives its promise. Given a
 * config object (`{ name, text, values }`), node-postgres first copies it with getOwnPropertyDescriptors
 * and defineProperties: ~2 µs of every statement, against ~0.1 µs this way. A Query is submitted as it
 * is, so the promise is made here, as the client makes it for a config. (A caller's callback, which
 * Kysely never passes, keeps the config form.)
 */
function namedQuery(
  query: (...args: unknown[]) => unknown,
  name: string,
  text: string,
  values: unknown[],
  callback?: QueryCallback,
): unknown {
  if (callback) return query({ name, text, values }, callback);
  return new Promise<pg.QueryResult>((resolve, reject) => {
    const statement = new pg.Query(text, values, (err: Error | null | undefined, result: pg.QueryResult) =>
      err ? reject(err) : resolve(result),
    ) as pg.Query & { name?: string };
    statement.name = name;
    query(statement);
  });
}

/**
 * pg lets the connection string override a separate `password` option (with null when the URL has none),
 * so the password joins the URL here, in memory only, where pg hides it from its errors.
 */
function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  const u = new URL(url);
  u.password = encodeURIComponent(password);
  return u.toString();
}

export function createDatabase(options: DatabaseOptions): Database {
  const nameOf = preparedNames(options.maxPreparedStatements ?? MAX_PREPARED_STATEMENTS);
  const connectionUrl = withPassword(options.url, options.password);
  const pool = new pg.Pool({
    connectionString: connectionUrl,
    max: options.poolSize,
    application_name: options.applicationName,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
  });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', (err) => options.log.warn({ err }, 'idle database connection failed'));
  // Nor a checked-out one (pg-pool listens only while a client is idle): PostgreSQL ends the session
  // of a transaction left idle too long (the event layer sets idle_in_transaction_session_timeout),
  // and the pool drops the dead client when it comes back.
  pool.on('connect', (client) => {
    client.on('error', (err) => options.log.warn({ err }, 'database connection lost while in use'));
    prepareStatements(client, nameOf);
  });

  const db = new Kysely<any>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => recordQuerySpan(options.tracer, event),
  });

  return {
    db,
    connectionUrl,
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
