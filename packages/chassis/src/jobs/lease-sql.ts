// The one lease schema's SQL, for every leased table (souk_job, souk_saga):
// rows with `id`, `next_attempt_at`, `lease_owner` and `lease_until`, times on
// the database's clock. A claim takes due rows whose lease is free, expired,
// or still this instance's from before a restart (not those it is working on
// now), under FOR UPDATE SKIP LOCKED so that two instances claiming at once
// take different rows; a renewal extends a lease only while it is its owner's.
// Both are replayable bookkeeping (db/durability.ts): they commit without
// waiting for the WAL flush. A claim lost in a crash of the database leaves the
// row as it was (claimable again); a lost renewal, an earlier lease_until, which
// the keeper's stop at two thirds of the lease already allows for.

import { sql, type Kysely, type RawBuilder } from 'kysely';
import { replayableCommit } from '../db/durability.ts';

/** A duration in ms as a PostgreSQL interval. */
export const interval = (ms: number) => sql`make_interval(secs => ${ms / 1000})`;

export interface LeaseClaim {
  table: 'souk_job' | 'souk_saga';
  owner: string;
  leaseMs: number;
  limit: number;
  /** Ids this process is working on now: never claimed again under it. */
  busy: readonly string[];
  /** What else makes a row claimable (its status, its kind). */
  where: RawBuilder<unknown>;
  /** What else a claim writes (an attempt counted, say). */
  set?: RawBuilder<unknown>;
}

export async function claimLeased<Row>(db: Kysely<any>, c: LeaseClaim): Promise<Row[]> {
  if (c.limit <= 0) return [];
  const table = sql.table(c.table);
  const { rows } = await sql<Row>`
    update ${table} set lease_owner = ${c.owner}, lease_until = clock_timestamp() + ${interval(c.leaseMs)}${c.set ? sql`, ${c.set}` : sql``}
    where id in (
      select id from ${table}
      where ${c.where} and next_attempt_at <= clock_timestamp() and not id = any(${c.busy}::text[])
        and (lease_until is null or lease_until < clock_timestamp() or lease_owner = ${c.owner})
      order by next_attempt_at limit ${c.limit}
      for update skip locked)
      and ${replayableCommit}
    returning *`.execute(db);
  return rows;
}

/** Extends the lease by `leaseMs` from now: true while it is `owner`'s, false once another instance has it. */
export async function renewLease(
  db: Kysely<any>,
  table: LeaseClaim['table'],
  id: string,
  owner: string,
  leaseMs: number,
): Promise<boolean> {
  const { rows } = await sql`update ${sql.table(table)} set lease_until = clock_timestamp() + ${interval(leaseMs)}
    where id = ${id} and lease_owner = ${owner} and ${replayableCommit} returning id`.execute(db);
  return rows.length > 0;
}
