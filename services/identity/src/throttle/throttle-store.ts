// The failure logs in the database, so delays hold across instances: one per
// account (normalised email, whether or not an account exists) and one per
// client IP (across accounts). Each write locks its row.

import { sql } from 'kysely';
import type { IdentityDatabase } from '../db.ts';
import { admitAttempt, checkThrottle, MAX_REMEMBERED, type ThrottleDecision, type ThrottlePolicy } from './login-throttle.ts';

export interface ThrottleStorePolicies {
  account: ThrottlePolicy;
  ip: ThrottlePolicy;
}

const toState = (failedAt: Date[]) => ({ failures: failedAt.map((d) => d.getTime()) });

export function createThrottleStore(db: IdentityDatabase, policies: ThrottleStorePolicies) {
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
        const state = toState(row.failed_at);
        const { decision, next } = admitAttempt(state, now, policies.account);
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

    /** A successful sign-in forgets the account's failures (not its IP's: a spraying attacker's own account must not reset them). */
    async succeeded(account: string): Promise<void> {
      await db.deleteFrom('login_attempts').where('account', '=', account).execute();
    },

    /** Whether `ip` may try a sign-in now, given its recent failures across accounts (also counted, for the queue's lane). */
    async checkIp(ip: string, now: number): Promise<ThrottleDecision & { recentFailures: number }> {
      const row = await db.selectFrom('ip_login_failures').select('failed_at').where('ip', '=', ip).executeTakeFirst();
      if (!row) return { allowed: true, recentFailures: 0 };
      const state = toState(row.failed_at);
      const recentFailures = state.failures.filter((t) => t > now - policies.ip.windowMs).length;
      return { ...checkThrottle(state, now, policies.ip), recentFailures };
    },

    /**
     * Counts a failed sign-in against `ip`. One statement, so the row lock that
     * concurrent failures from one address queue on is held for one statement,
     * not for a transaction's round trips (a flood from one address would make
     * them wait on each other with pooled connections in hand). It keeps what
     * `recordFailure` keeps: the recent failures, the newest MAX_REMEMBERED.
     */
    async ipFailed(ip: string, now: number): Promise<void> {
      const at = new Date(now);
      const since = new Date(now - policies.ip.windowMs);
      await sql`
        insert into ip_login_failures as f (ip, failed_at, updated_at) values (${ip}, array[${at}::timestamptz], ${at})
        on conflict (ip) do update set
          failed_at = array(
            select t from (
              select t from unnest(f.failed_at || ${at}::timestamptz) as t
              where t > ${since}::timestamptz order by t desc limit ${MAX_REMEMBERED}
            ) as kept order by t
          ),
          updated_at = ${at}`.execute(db);
    },

    /** Drops logs whose every failure has left the window. */
    async prune(now: number): Promise<number> {
      const accounts = await db
        .deleteFrom('login_attempts')
        .where('updated_at', '<', new Date(now - policies.account.windowMs))
        .executeTakeFirst();
      const ips = await db
        .deleteFrom('ip_login_failures')
        .where('updated_at', '<', new Date(now - policies.ip.windowMs))
        .executeTakeFirst();
      return Number(accounts.numDeletedRows) + Number(ips.numDeletedRows);
    },
  };
}

export type ThrottleStore = ReturnType<typeof createThrottleStore>;
