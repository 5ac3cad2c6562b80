// The payment_cancellations table: recording a cancellation in the inbox
// transaction, claiming due ones (FOR UPDATE SKIP LOCKED, with a lease) in one
// short statement, recording how an attempt ended, and the operators' reads
// and retries. Times are the database's clock, shared by every instance.

import { sql } from 'kysely';
import type { CancellationStatus, PaymentCancellationRow, PaymentsDatabase } from '../db.ts';

/** Payments of an order that may still hold or have taken money. */
export const LIVE_STATUSES = ['AUTHORIZING', 'AUTHORIZED', 'CAPTURED'];

/** The order's payments that may still hold or have taken money, oldest first. */
export async function livePaymentsOf(db: PaymentsDatabase, orderId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('payments')
    .select('id')
    .where('order_id', '=', orderId.toLowerCase())
    .where('status', 'in', LIVE_STATUSES)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => r.id);
}

export interface NewCancellation {
  orderId: string;
  /** The event that asked (the causation of the ledger events). */
  eventId: string;
  reason: string;
}

/**
 * Records the cancellation inside `trx` (the inbox transaction), due now.
 * Already PENDING or PARKED: nothing changes (a redelivery or a repeat is
 * harmless). DONE: it is opened again (the caller saw payments holding money
 * again). Returns the id of `trx`'s transaction when something was written,
 * so the worker can run as soon as it has committed.
 */
export async function recordCancellation(trx: PaymentsDatabase, c: NewCancellation): Promise<{ xid: string } | undefined> {
  const { rows } = await sql<{ xid: string }>`
    insert into payment_cancellations (order_id, event_id, reason, status, attempts, next_attempt_at, created_at, updated_at)
    values (${c.orderId.toLowerCase()}, ${c.eventId}, ${c.reason}, 'PENDING', 0, now(), now(), now())
    on conflict (order_id) do update
      set event_id = excluded.event_id, reason = excluded.reason, status = 'PENDING', attempts = 0, next_attempt_at = now(),
          last_error = null, claim_id = null, claimed_until = null, updated_at = now()
      where payment_cancellations.status = 'DONE'
    returning pg_current_xact_id()::text as xid`.execute(trx);
  return rows[0];
}

/** Whether each of these transactions is still running ('in progress'), 'committed' or 'aborted' (null: too old to tell). */
export async function transactionStatuses(db: PaymentsDatabase, xids: readonly string[]): Promise<Map<string, string | null>> {
  const { rows } = await sql<{ xid: string; status: string | null }>`
    select x as xid, pg_xact_status(x::xid8) as status from unnest(${[...xids]}::text[]) as x`.execute(db);
  return new Map(rows.map((r) => [r.xid, r.status]));
}

export interface Claim {
  /** Instance id, kept on the row (who worked on it last). */
  owner: string;
  leaseMs: number;
  limit: number;
}

/**
 * Claims up to `limit` due cancellations in one statement (its own short
 * transaction): PENDING, due, and not under another claim's lease. SKIP
 * LOCKED leaves rows another instance is claiming at this moment to it. Each
 * claim counts an attempt and gets a token that only its holder can finish.
 */
export async function claimDue(db: PaymentsDatabase, c: Claim): Promise<PaymentCancellationRow[]> {
  const { rows } = await sql<PaymentCancellationRow>`
    update payment_cancellations pc
       set attempts = pc.attempts + 1, claimed_by = ${c.owner}, claim_id = gen_random_uuid(),
           claimed_until = now() + ${c.leaseMs}::integer * interval '1 millisecond', updated_at = now()
      from (select order_id from payment_cancellations
             where status = 'PENDING' and next_attempt_at <= now() and (claimed_until is null or claimed_until <= now())
             order by next_attempt_at
             limit ${c.limit}
             for update skip locked) due
     where pc.order_id = due.order_id
    returning pc.*`.execute(db);
  return rows;
}

export type Ending = { kind: 'done' } | { kind: 'retry'; delayMs: number; error: string } | { kind: 'park'; error: string };

/**
 * Records how a claimed attempt ended and gives the claim back. False when the
 * claim is no longer this one (its lease expired and another instance took the
 * cancellation over): the other instance records its own ending.
 */
export async function finishClaim(db: PaymentsDatabase, row: PaymentCancellationRow, ending: Ending): Promise<boolean> {
  const status: CancellationStatus = ending.kind === 'done' ? 'DONE' : ending.kind === 'park' ? 'PARKED' : 'PENDING';
  const nextAttempt =
    ending.kind === 'retry' ? sql`now() + ${ending.delayMs}::integer * interval '1 millisecond'` : sql`next_attempt_at`;
  const lastError = ending.kind === 'done' ? sql`last_error` : sql`${ending.error.slice(0, 2_000)}`;
  const { rows } = await sql`
    update payment_cancellations
       set status = ${status}, next_attempt_at = ${nextAttempt}, last_error = ${lastError},
           claim_id = null, claimed_until = null, updated_at = now()
     where order_id = ${row.order_id} and claim_id = ${row.claim_id}
    returning order_id`.execute(db);
  return rows.length > 0;
}

export async function listCancellations(
  db: PaymentsDatabase,
  q: { status?: CancellationStatus; limit: number },
): Promise<PaymentCancellationRow[]> {
  let query = db.selectFrom('payment_cancellations').selectAll();
  if (q.status) query = query.where('status', '=', q.status);
  return query.orderBy('created_at', 'desc').orderBy('order_id').limit(q.limit).execute();
}

/**
 * An operator's retry: a PARKED cancellation is PENDING again with its
 * attempts reset; a PENDING one is made due now (its backoff skipped; a claim
 * in progress keeps its lease). A DONE one is left alone.
 */
export async function retryCancellation(
  db: PaymentsDatabase,
  orderId: string,
): Promise<PaymentCancellationRow | 'not-found' | 'done'> {
  const { rows } = await sql<PaymentCancellationRow>`
    update payment_cancellations
       set status = 'PENDING', attempts = case when status = 'PARKED' then 0 else attempts end,
           next_attempt_at = now(), updated_at = now()
     where order_id = ${orderId.toLowerCase()} and status <> 'DONE'
    returning *`.execute(db);
  if (rows[0]) return rows[0];
  const existing = await db
    .selectFrom('payment_cancellations')
    .select('status')
    .where('order_id', '=', orderId.toLowerCase())
    .executeTakeFirst();
  return existing ? 'done' : 'not-found';
}

/** How many cancellations are waiting (PENDING) and parked (the metrics; DONE ones are not counted). */
export async function countOpen(db: PaymentsDatabase): Promise<{ pending: number; parked: number }> {
  const { rows } = await sql<{ pending: number; parked: number }>`
    select count(*) filter (where status = 'PENDING')::int as pending, count(*) filter (where status = 'PARKED')::int as parked
      from payment_cancellations where status in ('PENDING', 'PARKED')`.execute(db);
  return rows[0] ?? { pending: 0, parked: 0 };
}
