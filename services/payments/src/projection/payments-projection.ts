// The `payments` read model: one row per payment, derived from its state.
// Written in the statement of every append (so reads never lag the ledger) and
// rebuildable from the log alone: the row is a pure function of the events.

import { sql, type RawBuilder } from 'kysely';
import { foldEvents, type EventStore, type RecordedEvent } from '@souk/chassis';
import type { PaymentRow, PaymentsDatabase } from '../db.ts';
import type { PaymentEvent } from '../payment/payment-events.ts';
import { paymentFold, type PaymentState } from '../payment/payment-state.ts';

/** The row of a payment in `state` at stream `version`. */
export function projectionRow(paymentId: string, state: PaymentState, version: number): PaymentRow {
  if (state.status === 'NEW' || !state.createdAt || !state.updatedAt)
    throw new Error(`payment ${paymentId} has no events to project`);
  return {
    id: paymentId,
    order_id: state.orderId,
    user_id: state.userId,
    status: state.status,
    amount_cents: state.amountCents,
    currency: state.currency,
    captured_cents: state.capturedCents,
    refunded_cents: state.refundedCents,
    authorization_id: state.authorizationId,
    capture_id: state.captureId,
    refund_id: state.refundId,
    failure_code: state.failure?.code ?? null,
    unknown_outcomes: state.unknownOutcomes,
    version,
    created_at: new Date(state.createdAt),
    updated_at: new Date(state.updatedAt),
  };
}

/**
 * The statement that writes the row unless a newer version of it is there already, as part of the
 * append's own statement: only if `when` (a relation of that statement) has a row.
 */
export function projectionUpsert(row: PaymentRow, when: RawBuilder<unknown>): RawBuilder<unknown> {
  const columns = Object.keys(row) as (keyof PaymentRow)[];
  const changed = columns.filter((c) => c !== 'id');
  return sql`
    insert into payments (${sql.join(columns.map((c) => sql.ref(c)))})
    select ${sql.join(columns.map((c) => sql`${row[c]}`))}
    where exists (select from ${when})
    on conflict (id) do update set ${sql.join(changed.map((c) => sql`${sql.ref(c)} = excluded.${sql.ref(c)}`))}
    where payments.version < excluded.version`;
}

export interface RebuildResult {
  payments: number;
  events: number;
  tookMs: number;
}

const PAGE = 2_000;

/**
 * Empties the table and replays the whole log into it, in one transaction:
 * readers see the old table until the new one is complete. Appends that
 * commit meanwhile wait at the table lock and then write their (newer) rows.
 */
export async function rebuildProjection(
  db: PaymentsDatabase,
  store: EventStore,
  clock: { now(): number },
): Promise<RebuildResult> {
  const started = clock.now();
  return db.transaction().execute(async (trx) => {
    // Waits for appends that already wrote their row; later ones wait for this rebuild.
    await sql`lock table payments in exclusive mode`.execute(trx);
    await trx.deleteFrom('payments').execute();
    const folded = new Map<string, { state: PaymentState; version: number }>();
    let events = 0;
    for (let after = 0; ;) {
      // Unsettled: every event committed so far. An append still open (waiting for the table lock)
      // writes its own projection row after this rebuild, so it need not be waited for here.
      const page = await store.readAll<PaymentEvent>({ after, limit: PAGE, db: trx, unsettled: true });
      for (const event of page) {
        const start = folded.get(event.streamId) ?? { state: paymentFold.initial(), version: 0 };
        const next = foldEvents(paymentFold, start, [event as RecordedEvent<PaymentEvent>]);
        folded.set(event.streamId, { state: next.state, version: next.version });
      }
      events += page.length;
      if (page.length < PAGE) break;
      after = page.at(-1)!.position;
    }
    const rows = [...folded].map(([id, { state, version }]) => projectionRow(id, state, version));
    for (let i = 0; i < rows.length; i += 500)
      await trx
        .insertInto('payments')
        .values(rows.slice(i, i + 500))
        .execute();
    return { payments: rows.length, events, tookMs: clock.now() - started };
  });
}
