// The database phase of a start: the pool, waiting for PostgreSQL, the
// chassis' tables and then the service's own migrated, a readiness check.

import type { Logger } from 'pino';
import type { CommonConfig } from '../config.ts';
import { chassisMigrations } from '../db/chassis-migrations.ts';
import { createDatabase, type Database, type Migrations } from '../db/database.ts';
import { CHASSIS_MIGRATION_TABLE } from '../events/migrations.ts';
import type { Basics } from './basics.ts';
import type { ResourceStack } from './resource-stack.ts';

/** The secret holding the password of the service's database role. */
export const DATABASE_PASSWORD_SECRET = 'database-password';

/** Undefined when the service declared no migrations (it has no database). */
export async function openDatabase(
  basics: Basics<unknown>,
  migrations: Migrations | undefined,
  stack: ResourceStack,
  readiness: Map<string, () => Promise<void>>,
): Promise<Database | undefined> {
  if (!migrations) return undefined;
  const { name, instanceId, tracer, log } = basics;
  const config: CommonConfig = basics.config;
  if (!config.DATABASE_URL) throw new Error(`${name} needs DATABASE_URL: set it to its PostgreSQL database`);
  const password = await databasePassword(config.DATABASE_URL, basics);
  const database = createDatabase({
    url: config.DATABASE_URL,
    ...(password === undefined ? {} : { password }),
    poolSize: config.DATABASE_POOL_SIZE,
    maxPreparedStatements: config.DATABASE_PREPARED_STATEMENTS,
    applicationName: instanceId,
    tracer,
    log,
  });
  stack.defer('the database pool', () => database.close());
  await waitForDatabase(database, log);
  const applied = [
    ...(await database.migrate(chassisMigrations, CHASSIS_MIGRATION_TABLE)),
    ...(await database.migrate(migrations)),
  ];
  if (applied.length) log.info({ migrations: applied }, 'database migrated');
  readiness.set('database', () => database.ping());
  return database;
}

/**
 * The secret database-password, so the password stays out of the environment (DATABASE_URL names the server,
 * database and role only). A URL that carries a password keeps it: tests and a local `psql`-style URL.
 */
async function databasePassword(url: string, basics: Basics<unknown>): Promise<string | undefined> {
  if (new URL(url).password !== '') return undefined;
  return basics.secrets.optional(DATABASE_PASSWORD_SECRET);
}

/** The database may still be starting next to us (devhost, compose): retry for a while. */
async function waitForDatabase(database: Database, log: Logger, attempts = 20): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await database.ping();
    } catch (err) {
      if (attempt >= attempts) throw new Error('database unreachable', { cause: err });
      if (attempt === 1) log.warn({ err }, 'database not reachable yet; retrying');
      await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** attempt)));
    }
  }
}
