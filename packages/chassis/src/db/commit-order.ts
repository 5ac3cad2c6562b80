// Commit-order keys: an order for rows that many transactions append to (the
// outbox, the event store), taken from the writing transaction itself, with no
// counter row that every writer waits for and no step after commit.
//
// A row's key is its transaction's id (xid8, handed out increasing when the
// transaction first writes) times KEYS_PER_TRANSACTION plus the row's rank
// among that transaction's rows. Readers follow the key order and see only
// keys below the *readable bound* of their statement's snapshot S:
//
//   bound = the smallest xid of S's in-progress list that may belong to this
//           database, or S's xmax when there is none.
//
// Why a reader that has seen key K never finds a key below K appear later:
//  1. Every transaction id below the bound had ended when S was taken (ids
//     below S's xmax that are not in its in-progress list are complete), or
//     belongs to a transaction connected to another database, which cannot
//     write this database's tables. So every row with a key below the bound
//     that will ever exist is already visible to S: the set of readable rows
//     only ever grows at its end.
//  2. A transaction still in progress at S has an id in S's list (not below
//     the bound unless it is another database's) or at least S's xmax; one
//     that starts writing after S gets an id at least S's xmax. Either way its
//     rows' keys are at least the bound, above every key S could return.
// Hence positions counted along the key order (the feed's event numbers) never
// change once read, and a cursor that is a key never skips a row.
//
// The price: a committed row is read only once every transaction of this
// database that got its id earlier has ended. A long transaction that has an
// id (it wrote anything: a handler that hangs, up to its timeout) holds back
// every row committed after it got it, on this database only. PostgreSQL's own snapshot xmin would
// be cluster-wide (every service's database on the embedded server); the bound
// leaves out transactions that pg_stat_activity shows connected to another
// database, and counts as blocking any it cannot place (one that ended between
// the snapshot and the look, a prepared transaction).
//
// Keys stay below 2^53 (safe JavaScript integers) while the cluster's xid8 is
// below 2^41: 2.2 trillion transactions. A transaction may write at most
// KEYS_PER_TRANSACTION keyed rows to one table; the next one fails loudly.

import { sql, type RawBuilder } from 'kysely';

/** Keyed rows one transaction may write to one table (the rank takes the low 12 bits). */
export const KEYS_PER_TRANSACTION = 4096;

/**
 * The key of the transaction's `rank`-th row in a table, the first of `count` it writes in one
 * statement (the others follow: +1, +2, ...), for a writer that counts its rows itself (one object
 * per transaction, so the count is the transaction's): no lookup, the plainest statement.
 */
export function commitKeys(rank: number, count: number, table: string): RawBuilder<number> {
  if (!Number.isInteger(rank) || rank < 0 || !Number.isInteger(count) || count < 1 || rank + count > KEYS_PER_TRANSACTION)
    throw new Error(`a transaction writes more than ${KEYS_PER_TRANSACTION} ordered rows to ${table}`);
  return sql<number>`(pg_current_xact_id()::text::bigint * ${sql.lit(KEYS_PER_TRANSACTION)} + ${rank})`;
}

/**
 * The key of the first of `rows` rows this transaction is about to write to
 * `table` (the others follow: +1, +2, ...). Reads the transaction's own rows
 * (one index probe), so it belongs in the writing statement. More rows in one
 * transaction than KEYS_PER_TRANSACTION fail the statement with a message
 * saying so, rather than take keys from the range of another transaction.
 */
export function firstCommitKey(table: string, column: string, rows = 1): RawBuilder<number> {
  const t = sql.table(table);
  const c = sql.ref(column);
  const k = sql.lit(KEYS_PER_TRANSACTION);
  const base = sql`pg_current_xact_id()::text::bigint * ${k}`;
  return sql<number>`(select case when f.first + ${rows - 1} < ${base} + ${k} then f.first
      else ('souk: transaction ' || pg_current_xact_id() || ' writes more than ${sql.raw(String(KEYS_PER_TRANSACTION))} ordered rows to ' || ${table})::bigint end
    from (select coalesce(max(${c}) + 1, ${base}) as first from ${t} where ${c} >= ${base} and ${c} < ${base} + ${k}) f)`;
}

/**
 * The exclusive upper bound of the keys of `table` that a reader may see in
 * this statement (see above). `precise: false` takes PostgreSQL's own horizon
 * (the snapshot's xmin, cluster-wide: it may hold rows back for a transaction
 * of another database); `precise: true` leaves out transactions that
 * pg_stat_activity shows in another database, which costs a look at every
 * backend, taken only when rows beyond the cheap bound exist. Both are safe;
 * the cheap one may serve later.
 */
export function readableBound(table: string, column: string, { precise }: { precise: boolean }): RawBuilder<number> {
  const t = sql.table(table);
  const c = sql.ref(column);
  const k = sql.lit(KEYS_PER_TRANSACTION);
  if (!precise) return sql<number>`(pg_snapshot_xmin(pg_current_snapshot())::text::bigint * ${k})`;
  return sql<number>`(select (case
      when coalesce((select max(${c}) from ${t}), 0) < pg_snapshot_xmin(snap.s)::text::bigint * ${k} then pg_snapshot_xmin(snap.s)
      else coalesce(
        (select min(x) from pg_snapshot_xip(snap.s) as x
          where not exists (
            select 1 from pg_stat_get_activity(null) a
            where a.backend_xid = xid(x) and a.datid is distinct from (select oid from pg_database where datname = current_database()))),
        pg_snapshot_xmax(snap.s))
    end)::text::bigint * ${k}
    from (select pg_current_snapshot() as s) snap)`;
}

/**
 * For a migration that turns existing positions (1, 2, ...) into keys: fails unless every
 * transaction id to come is above them, so new rows sort after the old ones.
 */
export function keysBelowNextTransactions(table: string, column: string): RawBuilder<unknown> {
  return sql`do $$ begin
      if (select max(${sql.ref(column)}) from ${sql.table(table)}) >= pg_current_xact_id()::text::bigint * ${sql.lit(KEYS_PER_TRANSACTION)} then
        raise exception '% holds more rows than its transaction ids can order after them', ${sql.lit(table)};
      end if;
    end $$`;
}
