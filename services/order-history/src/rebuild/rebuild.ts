// Rebuilding the read model from scratch: in the chassis' replay transaction
// (handlers held back), the old counts become the targets, the model is
// emptied, and every producer's stream is read again from its start. The
// rebuild is done when each producer has handled as many events as before.

import { randomUUID } from 'node:crypto';
import type { Events } from '@souk/chassis';
import { sql } from 'kysely';
import { PRODUCERS } from '../../contract.ts';
import type { OrderHistoryDb } from '../db.ts';
import { errors } from '../errors.ts';
import { countRows } from '../lag/projection-lag.ts';

export interface RebuildDeps {
  events: Events<OrderHistoryDb>;
  now(): number;
}

/** Starts a rebuild and returns its id once the replay is set up (the events then flow on their own). */
export async function startRebuild(deps: RebuildDeps, requestedBy: string | null): Promise<string> {
  const id = randomUUID();
  try {
    await deps.events.replay({
      producers: [...PRODUCERS],
      async reset(db) {
        const rowsBefore = await countRows(db);
        await sql`delete from order_views`.execute(db);
        // What the old model had handled is what the new one must reach. Restarting an unfinished
        // rebuild keeps that one's target: its own count is only part of the way.
        await sql`
          update projection_progress p set
            target = t.target, events_handled = 0, last_event_at = null, last_position = null,
            caught_up_at = case when t.target = 0 then clock_timestamp() end, updated_at = clock_timestamp()
          from (select producer, greatest(events_handled, case when caught_up_at is null then coalesce(target, 0) else 0 end) as target
                from projection_progress) t
          where p.producer = t.producer`.execute(db);
        await db
          .insertInto('projection_rebuilds')
          .values({ id, requested_by: requestedBy, started_at: new Date(deps.now()), rows_before: rowsBefore })
          .execute();
      },
    });
  } catch (err) {
    if (/NATS is not connected/.test(String((err as Error)?.message))) {
      throw errors.rebuildUnavailable({
        detail: 'NATS is not connected: the durable consumers cannot be rewound now.',
        cause: err,
      });
    }
    throw err;
  }
  return id;
}
