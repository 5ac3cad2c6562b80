// The simulation's run-time settings (failure rate, delay) in the database, so
// every instance follows what an admin set; unset values fall back to the
// configuration (SHIPPING_FAILURE_RATE, SHIPPING_DELAY_MS). Each instance keeps
// what it read for a second (a read per event and per worker run was most of
// the reads of a checkout's shipment): a change applies at once on the instance
// that made it, within a second on the others.

import type { BehaviourChange } from '../../contract.ts';
import type { ShippingDatabase } from '../db.ts';
import { effectiveBehaviour, type Behaviour } from '../shipments/shipment-rules.ts';

export interface BehaviourStore {
  get(db?: ShippingDatabase): Promise<Behaviour>;
  /** The fields the change names take its values (for every instance); the others keep theirs. */
  change(change: BehaviourChange, now: Date): Promise<Behaviour>;
  /** Forgets what admins set: the configuration applies again. */
  reset(): Promise<Behaviour>;
}

/** How long an instance answers from what it read last. */
export const BEHAVIOUR_FRESH_MS = 1_000;

export function createBehaviourStore(db: ShippingDatabase, config: { failureRate: number; delayMs: number }): BehaviourStore {
  let last: { behaviour: Behaviour; at: number } | undefined;
  const read = async (q: ShippingDatabase) => {
    const row = await q.selectFrom('shipping_behaviour').selectAll().where('id', '=', 1).executeTakeFirst();
    const behaviour = effectiveBehaviour(
      config,
      row && { failureRate: row.failure_rate, delayMs: row.delay_ms, updatedAt: row.updated_at },
    );
    last = { behaviour, at: performance.now() };
    return behaviour;
  };
  return {
    get: async (q = db) => (last && performance.now() - last.at < BEHAVIOUR_FRESH_MS ? last.behaviour : read(q)),
    async change(body, now) {
      const set = {
        ...(body.failureRate !== undefined ? { failure_rate: body.failureRate } : {}),
        ...(body.delayMs !== undefined ? { delay_ms: body.delayMs } : {}),
        updated_at: now,
      };
      await db
        .insertInto('shipping_behaviour')
        .values({ id: 1, failure_rate: body.failureRate ?? null, delay_ms: body.delayMs ?? null, updated_at: now })
        .onConflict((oc) => oc.column('id').doUpdateSet(set))
        .execute();
      return read(db);
    },
    async reset() {
      await db.deleteFrom('shipping_behaviour').where('id', '=', 1).execute();
      return read(db);
    },
  };
}
