// The failure log of each account in the database, so throttling holds across
// instances. Each attempt reads and writes its account's row under a row lock.

import type { IdentityDatabase } from '../db.ts';
import { admitAttempt, type ThrottleDecision, type ThrottlePolicy } from './login-throttle.ts';

export function createThrottleStore(db: IdentityDatabase, policy: ThrottlePolicy) {
  return {
    /**
     * Decides whether a sign-in for `account` may go ahead at `now` and, when
     * it may, counts it as a failure until `succeeded` clears the log.
     */
    async admit(account: string, now: number): Promise<ThrottleDecision> {
      return db.transaction().execute(async (trx) => {
        // One statement that always yields the row, locked: the no-op update
        // takes the row lock, and PostgreSQL re-inserts when a concurrent
        // success or prune deleted the row meanwhile. (INSERT ... DO NOTHING
        // followed by SELECT ... FOR UPDATE found nothing in that case.)
        const row = await trx
          .insertInto('login_attempts')
          .values({ account, failed_at: [], updated_at: new Date(now) })
          .onConflict((oc) => oc.column('account').doUpdateSet((eb) => ({ account: eb.ref('excluded.account') })))
          .returning('failed_at')
          .executeTakeFirstOrThrow();
        const state = { failures: row.failed_at.map((d) => d.getTime()) };
        const { decision, next } = admitAttempt(state, now, policy);
        if (next !== state) {
          await trx
            .updateTable('login_attempts')
            .set({ failed_at: next.failures.map((t) => new Date(t)), updated_at: new Date(now) })
            .where('account', '=', account)
            .execute();
        }
        return decision;
      });
    },

    /** A successful sign-in forgets the account's failures. */
    async succeeded(account: string): Promise<void> {
      await db.deleteFrom('login_attempts').where('account', '=', account).execute();
    },

    /** Drops logs whose every failure has left the window. */
    async prune(now: number): Promise<number> {
      const result = await db
        .deleteFrom('login_attempts')
        .where('updated_at', '<', new Date(now - policy.windowMs))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type ThrottleStore = ReturnType<typeof createThrottleStore>;
