// Warnings and worse, found without walking the info lines: "a service's errors" read a service's lines
// newest first until it had enough errors, which with a day of data (500,000 lines, one in a hundred a
// problem) took 76 ms instead of 2 (bench/telemetry-queries). Partial indexes: only the rare problem lines
// are kept in them, so the ingest of the common ones costs nothing more.

import { sql } from 'kysely';
import type { MigrationDb } from '@souk/chassis';

export async function up(db: MigrationDb): Promise<void> {
  await sql`create index logs_service_problems on logs (service, time desc, id desc) where level >= 40`.execute(db);
  await sql`create index logs_problems on logs (time desc, id desc) where level >= 40`.execute(db);
}

export async function down(db: MigrationDb): Promise<void> {
  await sql`drop index logs_problems`.execute(db);
  await sql`drop index logs_service_problems`.execute(db);
}
