// Operator routes of payments (admin role): rebuilding the read model from the
// log, and the cancellations ShipmentFailed asked for, by order (list, retry a
// parked one). The cancellations are chassis jobs (kind payments.cancel-order,
// keyed by order id): these routes are views of them by order; the chassis'
// /_admin/jobs routes show and retry them by job id too.

import type { EventStore, JobRunner, JobView, ServiceContext } from '@souk/chassis';
import {
  CancellationList,
  CancellationListQuery,
  CancellationParams,
  PaymentCancellation,
  RebuildResult,
} from '../../contract.ts';
import { CANCEL_ORDER_JOB, type CancelOrder } from '../cancellation/cancel-order-job.ts';
import type { PaymentsDatabase } from '../db.ts';
import { errors } from '../errors.ts';
import { rebuildProjection } from '../projection/payments-projection.ts';

export interface AdminRouteDeps {
  db: PaymentsDatabase;
  store: EventStore;
  jobs: Pick<JobRunner, 'list' | 'find' | 'retry'>;
}

/** A cancellation job in the API's shape (contract.ts `PaymentCancellation`). */
export function toCancellation(job: JobView): PaymentCancellation {
  const payload = job.payload as CancelOrder;
  return {
    orderId: payload.orderId,
    eventId: payload.eventId,
    reason: payload.reason,
    status: job.status,
    attempts: job.attempts,
    nextAttemptAt: job.nextAttemptAt,
    claimedBy: job.attemptedBy,
    claimedUntil: job.leaseUntil,
    lastError: job.lastError,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
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
      const jobs = await deps.jobs.list({
        kind: CANCEL_ORDER_JOB,
        ...(request.query.status ? { status: request.query.status } : {}),
        limit: request.query.limit ?? 100,
      });
      return { items: jobs.map(toCancellation) };
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
      const job = await deps.jobs.find(CANCEL_ORDER_JOB, orderId.toLowerCase());
      if (!job) throw errors.cancellationNotFound({ detail: `No cancellation for order ${orderId}.`, extensions: { orderId } });
      // The job's own retry (POST /_admin/jobs/{id}/retry) answers SOUK_JOB_DONE; by order, the payments code stays.
      if (job.status === 'DONE')
        throw errors.cancellationDone({
          detail: `The payments of order ${orderId} were given back already.`,
          extensions: { orderId },
        });
      ctx.log.info({ orderId, by: request.identity?.subject }, 'payment cancellation retried by an operator');
      return toCancellation(await deps.jobs.retry(job.id, `operator:${request.identity?.subject ?? 'unknown'}`));
    },
  );
}
