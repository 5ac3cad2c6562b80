// Durability tiers (ARCHITECTURE.md, "Durability tiers"). A business fact (an
// order, an outbox row with its state change) commits durably: PostgreSQL's
// default, the commit waits for the WAL flush. Replayable bookkeeping (a lease,
// a saga's progress that a retry redoes) may commit without waiting: if the
// server crashes within the next few hundred ms (wal_writer_delay), the write is
// lost and the work is done again, which is what it is designed for.
//
// The setting is per transaction (set_config(..., true) = SET LOCAL), so a
// pooled connection never keeps it. Written as an expression, it goes inside a
// statement that is sent anyway (an autocommit UPDATE is its own transaction;
// a transaction's first statement): no round trip of its own. WAL is flushed
// in order, so a durable commit also makes every replayable one before it durable.

import { sql, type RawBuilder } from 'kysely';

/**
 * `synchronous_commit = off` for the transaction of the statement it appears in,
 * as a boolean expression (always true): `where ... and ${replayableCommit}`, or
 * in a select list. It must be evaluated for the setting to take: put it where
 * the statement evaluates it whenever it writes (a WHERE clause on the rows it
 * changes, a select list over the rows a CTE changed).
 */
export const replayableCommit: RawBuilder<boolean> = sql<boolean>`(set_config('synchronous_commit', 'off', true) = 'off')`;
