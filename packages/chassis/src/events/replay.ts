// Replay: every event of some producers handled again from the start of their
// streams, after the service emptied what its handlers built (a read model
// rebuilt from scratch). One transaction, under an exclusive lock that every
// handler's transaction takes shared (handling.ts), so nothing a handler does
// slips between the reset and the rewound stream:
//  - handlers in flight finish first (their effects are reset, their inbox
//    records forgotten, so they come again); new ones wait, then find the
//    model empty and the inbox without them, as if they came first;
//  - the feed cursor goes back to 0 (no key) with no owner: an instance in the
//    middle of a page loses its lease there (its transaction rolls back), the
//    one woken takes the lease again, and reads from the start;
//  - NATS: the durable consumer is deleted and created again, so the broker
//    delivers the stream from its first message.

import { sql, type Kysely } from 'kysely';
import type { ServiceDb } from '../db/chassis-tables.ts';
import { sourceUri } from './envelope.ts';

// Any constant works (each service has its own database); distinct from the relay's.
export const REPLAY_LOCK = 0x50_55_4b_02;

export interface ReplayOptions<DB = object> {
  /** Producers whose events are handled again; default: every producer the service consumes. */
  producers?: readonly string[];
  /**
   * Empties what the handlers of those producers' events built, in the replay's transaction
   * (handlers are held back meanwhile). Without it, handlers must be safe to run twice.
   */
  reset?: (trx: ServiceDb<DB>) => Promise<void>;
}

export interface ReplayResult {
  /** The producers whose streams are read again from the start. */
  producers: string[];
}

export interface RewindDeps {
  db: Kysely<any>;
  transport: 'feed' | 'nats';
  producers: readonly string[];
  reset?: (trx: Kysely<any>) => Promise<void>;
  /** NATS: make the broker deliver this producer's stream from its start again (inside the transaction: a failure rolls it back). */
  rewindStream?: (producer: string) => Promise<void>;
}

/** The database side of a replay (and the broker's, through rewindStream), all or nothing. */
export async function rewind(deps: RewindDeps): Promise<void> {
  const producers = [...deps.producers];
  const sources = producers.map(sourceUri);
  await deps.db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${REPLAY_LOCK})`.execute(trx);
    await sql`delete from souk_inbox where source = any(${sources})`.execute(trx);
    // A fresh start for failing events too; parked ones stay listed (an operator decides), and a replay handles them again.
    await sql`delete from souk_event_failure where source = any(${sources})`.execute(trx);
    if (deps.transport === 'feed') {
      await sql`update souk_feed_cursor set position = 0, commit_key = null, commit_key_at = null, lease_owner = null, lease_until = null
                where producer = any(${producers})`.execute(trx);
    }
    await deps.reset?.(trx);
    for (const producer of producers) await deps.rewindStream?.(producer);
  });
}
