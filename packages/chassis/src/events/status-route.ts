// GET /_admin/events: one look at a service's event layer for operators and
// the console: what it publishes and how far its outbox is delivered, what it
// consumes and where its cursors stand, and what is failing or parked.

import { sql, type Kysely } from 'kysely';
import type { PreHandler } from '../auth/auth-hooks.ts';
import type { App } from '../server/app.ts';
import type { EventContract } from './contract.ts';
import type { Subscription } from './handling.ts';
import { readableBound } from '../db/commit-order.ts';

export interface EventStatus {
  transport: 'feed' | 'nats';
  publishes: { type: string; schemaId: number | null }[];
  /**
   * head: the newest readable event's position (the number of events in the feed); unsequenced:
   * events committed but not readable yet (a transaction of the database that began earlier is
   * still open); unpublished (NATS): not accepted by the broker yet.
   */
  outbox: { head: number; unsequenced: number; unpublished: number | null };
  subscriptions: { type: string; producer: string }[];
  cursors: { producer: string; position: number; owner: string | null; leaseUntil: string | null }[];
  failing: number;
  deadLetters: number;
}

export function registerStatusRoute(
  app: App,
  deps: {
    db: Kysely<any>;
    transport: 'feed' | 'nats';
    publishes: readonly EventContract[];
    schemaIds: ReadonlyMap<string, number>;
    subscriptions: ReadonlyMap<string, Subscription>;
    admin: PreHandler;
  },
): void {
  app.get('/_admin/events', { onRequest: deps.admin, schema: { hide: true } }, async (): Promise<EventStatus> => {
    // The head counts the feed (an index-only scan of the outbox): an operator's view, not a hot path.
    const { rows } = await sql<{ head: number | null; unsequenced: number; unpublished: number; failing: number; dead: number }>`
      with b as materialized (select ${readableBound('souk_outbox', 'commit_key', { precise: true })} as bound)
      select (select count(*) from souk_outbox, b where commit_key < b.bound) as head,
             (select count(*) from souk_outbox, b where commit_key >= b.bound) as unsequenced,
             (select count(*) from souk_outbox where published_at is null) as unpublished,
             (select count(*) from souk_event_failure) as failing,
             (select count(*) from souk_dead_letter where redriven_at is null) as dead`.execute(deps.db);
    const counts = rows[0]!;
    const cursors = await sql<{ producer: string; position: number; owner: string | null; lease_until: Date | null }>`
      select producer, position, lease_owner as owner, lease_until from souk_feed_cursor order by producer`.execute(deps.db);
    return {
      transport: deps.transport,
      publishes: deps.publishes.map((c) => ({ type: c.type, schemaId: deps.schemaIds.get(c.type) ?? null })),
      outbox: {
        head: counts.head ?? 0,
        unsequenced: counts.unsequenced,
        unpublished: deps.transport === 'nats' ? counts.unpublished : null,
      },
      subscriptions: [...deps.subscriptions.values()].map((s) => ({ type: s.contract.type, producer: s.contract.source })),
      cursors: cursors.rows.map((c) => ({
        producer: c.producer,
        position: c.position,
        owner: c.owner,
        leaseUntil: c.lease_until?.toISOString() ?? null,
      })),
      failing: counts.failing,
      deadLetters: counts.dead,
    };
  });
}
