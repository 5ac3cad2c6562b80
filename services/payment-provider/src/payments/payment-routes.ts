// The processor's API: authorize, capture, void, refund (each POST under an
// Idempotency-Key) and the reads a merchant reconciles with. Every route
// needs the merchant key; an outage answers 503 before anything else.

import type { ServiceContext } from '@souk/chassis';
import { Type } from 'typebox';
import {
  API_PREFIX,
  Authorization,
  AuthorizationList,
  AuthorizationListQuery,
  AuthorizationParams,
  Capture,
  CaptureBody,
  Charges,
  ChargesQuery,
  CreateAuthorizationBody,
  DEFAULT_LIST_LIMIT,
  Refund,
  RefundBody,
} from '../../contract.ts';
import type { ProviderDatabase } from '../db.ts';
import { errors } from '../errors.ts';
import type { KeyHook } from '../auth/api-keys.ts';
import { requireIdempotencyKey, runIdempotent, type IdempotencyDeps } from '../idempotency/idempotent-request.ts';
import { decideAuthorization, decideCapture, decideRefund, decideVoid } from './payment-rules.ts';
import {
  authorizationOfCapture,
  chargesOf,
  getAuthorization,
  listAuthorizations,
  newAuthorization,
  newCapture,
  newRefund,
  stateOf,
  voided,
} from './payment-store.ts';

export interface PaymentRouteDeps extends IdempotencyDeps {
  db: ProviderDatabase;
  /** onRequest hooks: outage first (a provider that is down does not even check keys), then the merchant key. */
  available: KeyHook;
  merchant: KeyHook;
}

const EmptyBody = Type.Object({}, { additionalProperties: false });

export function registerPaymentRoutes(ctx: ServiceContext, deps: PaymentRouteDeps): void {
  const { app } = ctx;
  const now = () => new Date(ctx.clock.now());
  const reads = [deps.available, deps.merchant];
  const writes = [deps.available, deps.merchant, requireIdempotencyKey];
  // POST without a body is the same request as POST with {}: both validate, and both fingerprint alike.
  const emptyBodyIsObject = async (request: { body: unknown }) => {
    request.body ??= {};
  };
  const tags = ['payments'];

  const notFound = (id: string) =>
    errors.authorizationNotFound({ detail: `No authorization ${id}.`, extensions: { authorizationId: id } });

  app.post(
    `${API_PREFIX}/authorizations`,
    {
      onRequest: writes,
      schema: {
        summary: 'Authorize an amount on a card (holds it, takes nothing)',
        tags,
        body: CreateAuthorizationBody,
        response: { 201: Authorization },
      },
    },
    async (request, reply) =>
      // Nothing to read: the authorization and its key are one statement, with no transaction around it.
      runIdempotent(deps, request, reply, {
        locks: false,
        async decide() {
          const { amount, currency, paymentMethod, reference } = request.body;
          const outcome = decideAuthorization(paymentMethod, deps.behaviour.current().declineRate, deps.random);
          const declineCode = outcome.status === 'declined' ? outcome.declineCode : null;
          const { authorization, write } = newAuthorization(
            { amount, currency, paymentMethod, reference, status: outcome.status, declineCode },
            now(),
          );
          if (declineCode === null) return { outcome: { status: 201, body: authorization }, writes: [write] };
          // The declined attempt is kept (status declined): reconciliation sees it, and a retry with the key gets this answer.
          const problem = errors.cardDeclined({
            detail: `The card was declined (${declineCode}).`,
            extensions: { declineCode, authorizationId: authorization.id, reference },
          });
          return { outcome: { problem }, writes: [write] };
        },
      }),
  );

  app.post(
    `${API_PREFIX}/authorizations/:id/capture`,
    {
      onRequest: writes,
      preValidation: emptyBodyIsObject,
      schema: {
        summary: 'Take (part of) an authorized amount',
        tags,
        params: AuthorizationParams,
        body: CaptureBody,
        response: { 200: Capture },
      },
    },
    async (request, reply) =>
      runIdempotent(deps, request, reply, {
        locks: true,
        async decide(trx) {
          const auth = await getAuthorization(trx, request.params.id, { lock: true });
          if (!auth) throw notFound(request.params.id);
          const { capture, writes } = newCapture(auth, decideCapture(stateOf(auth), request.body.amount), now());
          return { outcome: { status: 200, body: capture }, writes };
        },
      }),
  );

  app.post(
    `${API_PREFIX}/authorizations/:id/void`,
    {
      onRequest: writes,
      preValidation: emptyBodyIsObject,
      schema: {
        summary: 'Release an authorized, uncaptured amount',
        tags,
        params: AuthorizationParams,
        body: EmptyBody,
        response: { 200: Authorization },
      },
    },
    async (request, reply) =>
      runIdempotent(deps, request, reply, {
        locks: true,
        async decide(trx) {
          const auth = await getAuthorization(trx, request.params.id, { lock: true });
          if (!auth) throw notFound(request.params.id);
          decideVoid(stateOf(auth));
          const { authorization, write } = voided(auth, now());
          return { outcome: { status: 200, body: authorization }, writes: [write] };
        },
      }),
  );

  app.post(
    `${API_PREFIX}/refunds`,
    {
      onRequest: writes,
      schema: { summary: 'Give back (part of) a captured amount', tags, body: RefundBody, response: { 201: Refund } },
    },
    async (request, reply) =>
      runIdempotent(deps, request, reply, {
        locks: true,
        async decide(trx) {
          const { captureId, amount: requested, reason } = request.body;
          const auth = await authorizationOfCapture(trx, captureId);
          if (!auth) throw errors.captureNotFound({ detail: `No capture ${captureId}.`, extensions: { captureId } });
          const amount = decideRefund(stateOf(auth), captureId, requested);
          const { refund, writes } = newRefund(auth, captureId, amount, reason ?? null, now());
          return { outcome: { status: 201, body: refund }, writes };
        },
      }),
  );

  app.get(
    `${API_PREFIX}/authorizations/:id`,
    {
      onRequest: reads,
      schema: { summary: 'One authorization', tags, params: AuthorizationParams, response: { 200: Authorization } },
    },
    async (request) => {
      const auth = await getAuthorization(deps.db, request.params.id);
      if (!auth) throw notFound(request.params.id);
      return auth;
    },
  );

  app.get(
    `${API_PREFIX}/authorizations`,
    {
      onRequest: reads,
      schema: {
        summary: 'Authorizations, newest first; by reference to find out what happened to a call that timed out',
        tags,
        querystring: AuthorizationListQuery,
        response: { 200: AuthorizationList },
      },
    },
    async (request) => ({
      data: await listAuthorizations(deps.db, request.query.reference, request.query.limit ?? DEFAULT_LIST_LIMIT),
    }),
  );

  app.get(
    `${API_PREFIX}/charges`,
    {
      onRequest: reads,
      schema: {
        summary: 'Authorizations, captures and refunds of a reference, with totals',
        tags,
        querystring: ChargesQuery,
        response: { 200: Charges },
      },
    },
    async (request) => chargesOf(deps.db, request.query.reference),
  );
}
