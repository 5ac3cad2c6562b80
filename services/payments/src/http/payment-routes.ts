// The payments HTTP API: internal, each route for a service token with its own
// capability (`payments:authorize`, `payments:refund`... auth/scopes.ts in the chassis).
// Every command is idempotent by payment id: a repeat answers with the
// payment as it is, so a caller that timed out simply asks again.

import { chassisErrors, requestContext, type Capability, type EventStore, type ServiceContext } from '@souk/chassis';
import {
  API_PREFIX,
  AuthorizeBody,
  CancelBody,
  Payment,
  PaymentEventList,
  PaymentList,
  PaymentListQuery,
  PaymentParams,
  PaymentQuery,
  RefundBody,
  VoidBody,
} from '../../contract.ts';
import type { PaymentsDatabase } from '../db.ts';
import { errors } from '../errors.ts';
import type { PaymentCommand } from '../payment/payment-decide.ts';
import type { PaymentLedger } from '../payment/payment-ledger.ts';
import { toPayment } from './payment-view.ts';

export interface PaymentRouteDeps {
  ledger: PaymentLedger;
  store: EventStore;
  db: PaymentsDatabase;
}

const notFound = (paymentId: string) => errors.notFound({ detail: `No payment ${paymentId}.`, extensions: { paymentId } });

export function registerPaymentRoutes(ctx: ServiceContext, deps: PaymentRouteDeps): void {
  const { app } = ctx;
  // onRequest: the caller is checked before the body is validated, so a stranger learns nothing from a 400.
  const may = (capability: Capability) => ctx.auth.required({ scopes: [capability] });
  const read = may('payments:read');
  const tags = ['payments'];

  /** Runs a command; the request id is recorded as what caused the events. */
  const run = async (paymentId: string, command: PaymentCommand) => {
    const requestId = requestContext()?.requestId;
    const loaded = await deps.ledger.execute(
      paymentId.toLowerCase(),
      command,
      requestId ? { causationId: `request:${requestId}` } : {},
    );
    return toPayment(paymentId.toLowerCase(), loaded);
  };

  app.post(
    `${API_PREFIX}/:paymentId/authorize`,
    {
      onRequest: may('payments:authorize'),
      schema: {
        summary: 'Authorize a payment at the provider (idempotent by payment id)',
        tags,
        params: PaymentParams,
        body: AuthorizeBody,
        response: { 200: Payment },
      },
    },
    async (request) => run(request.params.paymentId, { kind: 'authorize', ...request.body }),
  );

  app.post(
    `${API_PREFIX}/:paymentId/capture`,
    {
      onRequest: may('payments:capture'),
      schema: { summary: 'Take the authorized amount (idempotent)', tags, params: PaymentParams, response: { 200: Payment } },
    },
    async (request) => run(request.params.paymentId, { kind: 'capture' }),
  );

  app.post(
    `${API_PREFIX}/:paymentId/void`,
    {
      onRequest: may('payments:void'),
      schema: {
        summary:
          'Release an authorization (idempotent); for an unknown payment, record a tombstone that refuses a late authorize',
        tags,
        params: PaymentParams,
        body: VoidBody,
        response: { 200: Payment },
      },
    },
    async (request) => run(request.params.paymentId, { kind: 'void', ...request.body }),
  );

  app.post(
    `${API_PREFIX}/:paymentId/refund`,
    {
      onRequest: may('payments:refund'),
      schema: {
        summary: 'Give captured money back (idempotent; one refund per payment)',
        tags,
        params: PaymentParams,
        body: RefundBody,
        response: { 200: Payment },
      },
    },
    async (request) => run(request.params.paymentId, { kind: 'refund', ...request.body }),
  );

  app.post(
    `${API_PREFIX}/:paymentId/cancel`,
    {
      onRequest: may('payments:cancel'),
      schema: {
        summary: 'Compensation: void if authorized, refund if captured, nothing otherwise (idempotent)',
        tags,
        params: PaymentParams,
        body: CancelBody,
        response: { 200: Payment },
      },
    },
    async (request) => run(request.params.paymentId, { kind: 'cancel', ...request.body }),
  );

  app.get(
    `${API_PREFIX}/:paymentId`,
    {
      onRequest: read,
      schema: {
        summary: 'A payment, now or as of a time',
        tags,
        params: PaymentParams,
        querystring: PaymentQuery,
        response: { 200: Payment },
      },
    },
    async (request) => {
      const paymentId = request.params.paymentId.toLowerCase();
      const asOf = request.query.asOf ? new Date(request.query.asOf) : undefined;
      // The format check lets through times that are not instants (a leap second, 23:59:60).
      if (asOf && Number.isNaN(asOf.getTime()))
        throw chassisErrors.invalidRequest(
          `asOf ${request.query.asOf} is not a point in time; send an ISO 8601 timestamp such as 2026-11-21T12:00:00Z.`,
        );
      const loaded = await deps.ledger.load(paymentId, asOf);
      if (loaded.version === 0) {
        if (asOf)
          throw errors.notFound({
            detail: `Payment ${paymentId} did not exist yet at ${asOf.toISOString()}.`,
            extensions: { paymentId },
          });
        throw notFound(paymentId);
      }
      return toPayment(paymentId, loaded, asOf ? { asOf } : {});
    },
  );

  app.get(
    `${API_PREFIX}/:paymentId/events`,
    {
      onRequest: read,
      schema: {
        summary: "A payment's ledger: its events in order",
        tags,
        params: PaymentParams,
        response: { 200: PaymentEventList },
      },
    },
    async (request) => {
      const paymentId = request.params.paymentId.toLowerCase();
      const events = await deps.store.readStream(paymentId);
      if (events.length === 0) throw notFound(paymentId);
      return {
        paymentId,
        events: events.map((e) => ({
          version: e.version,
          position: e.position,
          type: e.type,
          data: e.data,
          metadata: e.metadata,
          recordedAt: e.recordedAt.toISOString(),
        })),
      };
    },
  );

  app.get(
    API_PREFIX,
    {
      onRequest: read,
      schema: { summary: 'The payments of an order', tags, querystring: PaymentListQuery, response: { 200: PaymentList } },
    },
    async (request) => {
      const rows = await deps.db
        .selectFrom('payments')
        .select('id')
        .where('order_id', '=', request.query.orderId.toLowerCase())
        .orderBy('created_at')
        .execute();
      const items = await Promise.all(rows.map(async (r) => toPayment(r.id, await deps.ledger.load(r.id))));
      return { items };
    },
  );
}
