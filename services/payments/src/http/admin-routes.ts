// Operator routes of payments (admin role): rebuilding the read model from the
// log, and the cancellations ShipmentFailed asked for (list, retry a parked one).

import type { EventStore, ServiceContext } from '@souk/chassis';
import {
  CancellationList,
  CancellationListQuery,
  CancellationParams,
  PaymentCancellation,
  RebuildResult,
} from '../../contract.ts';
import { listCancellations, retryCancellation } from '../cancellation/cancellation-store.ts';
import type { CancellationWorker } from '../cancellation/cancellation-worker.ts';
import type { PaymentCancellationRow, PaymentsDatabase } from '../db.ts';
import { errors } from '../errors.ts';
import { rebuildProjection } from '../projection/payments-projection.ts';

export interface AdminRouteDeps {
  db: PaymentsDatabase;
  store: EventStore;
  cancellations: Pick<CancellationWorker, 'wake'>;
}

/** A cancellation row in the API's shape (contract.ts `PaymentCancellation`). */
export function toCancellation(row: PaymentCancellationRow): PaymentCancellation {
  const iso = (d: Date | string) => new Date(d).toISOString();
  return {
    orderId: row.order_id,
    eventId: row.event_id,
    reason: row.reason,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: iso(row.next_attempt_at),
    claimedBy: row.claimed_by,
    claimedUntil: row.claimed_until ? iso(row.claimed_until) : null,
    lastError: row.last_error,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export function registerAdminRoutes(ctx: ServiceContext, deps: AdminRouteDeps): void {
  const admin = ctx.auth.required({ roles: ['admin'] });
  const tags = ['admin'];

  ctx.app.post(
    '/_admin/payments/rebuild',
    {
      onRequest: admin,
      schema: {
        summary: 'Rebuild the payments table from the event log (the log is the truth; the table can always be thrown away)',
        tags,
        response: { 200: RebuildResult },
      },
    },
    async () => {
      const result = await rebuildProjection(deps.db, deps.store, ctx.clock);
      ctx.log.info(result, 'payments read model rebuilt from the log');
      return result;
    },
  );

  ctx.app.get(
    '/_admin/payments/cancellations',
    {
      onRequest: admin,
      schema: {
        summary: 'The cancellations ShipmentFailed asked for, newest first (status=PARKED: the ones waiting for an operator)',
        tags,
        querystring: CancellationListQuery,
        response: { 200: CancellationList },
      },
    },
    async (request) => {
      const rows = await listCancellations(deps.db, {
        ...(request.query.status ? { status: request.query.status } : {}),
        limit: request.query.limit ?? 100,
      });
      return { items: rows.map(toCancellation) };
    },
  );

  ctx.app.post(
    '/_admin/payments/cancellations/:orderId/retry',
    {
      onRequest: admin,
      schema: {
        summary:
          'Attempt a cancellation again now: a PARKED one is PENDING again with its attempts reset; a PENDING one skips its backoff',
        tags,
        params: CancellationParams,
        response: { 200: PaymentCancellation },
      },
    },
    async (request) => {
      const { orderId } = request.params;
      const result = await retryCancellation(deps.db, orderId);
      if (result === 'not-found')
        throw errors.cancellationNotFound({ detail: `No cancellation for order ${orderId}.`, extensions: { orderId } });
      if (result === 'done')
        throw errors.cancellationDone({
          detail: `The payments of order ${orderId} were given back already.`,
          extensions: { orderId },
        });
      ctx.log.info({ orderId, by: request.identity?.subject }, 'payment cancellation retried by an operator');
      deps.cancellations.wake();
      return toCancellation(result);
    },
  );
}
