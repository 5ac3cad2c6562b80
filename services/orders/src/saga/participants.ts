// The checkout saga's calls to the services taking part in it. Each call goes
// with the service's own token (auth: 'service': a resumed saga has no caller),
// the step's abort signal and a key that is the same on every attempt.

import type { ServiceContext, ServiceRequest } from '@souk/chassis';
import type { OrderLine } from '../../contract.ts';
import { errors } from '../errors.ts';

/** What the saga knows about its order; the saga's state. */
export interface CheckoutState {
  orderId: string;
  userId: string;
  items: OrderLine[];
  totalCents: number;
  currency: string;
  paymentMethod: string;
  reservationId: string;
  paymentId: string;
  /** Set by reserveStock. */
  reservationExpiresAt?: string;
  /** Set by authorizePayment and capturePayment: the payment's status at payments. */
  paymentStatus?: string;
}

export interface Call {
  signal: AbortSignal;
  timeoutMs: number;
  idempotencyKey: string;
}

export interface Participants {
  reserveStock(s: CheckoutState, call: Call): Promise<{ expiresAt: string }>;
  releaseStock(s: CheckoutState, reason: string, call: Call): Promise<void>;
  authorizePayment(s: CheckoutState, call: Call): Promise<{ status: string }>;
  /** Void if authorized, refund if captured, nothing otherwise (and refuses a late authorize). */
  cancelPayment(s: CheckoutState, reason: string, call: Call): Promise<void>;
  capturePayment(s: CheckoutState, call: Call): Promise<{ status: string }>;
}

/** Payment statuses after which the order may go on. */
const AUTHORIZED = new Set(['AUTHORIZED', 'CAPTURED']);
/** Statuses that say "not decided yet": ask again. */
const UNSETTLED = /PENDING|REQUESTED|UNKNOWN|AUTHORIZING/;

export function createParticipants(ctx: Pick<ServiceContext, 'client'>, o: { reservationTtlSeconds: number }): Participants {
  const send = async <T>(service: string, req: ServiceRequest<T>, call: Call) =>
    (
      await ctx.client(service).request<T>({
        ...req,
        auth: 'service',
        signal: call.signal,
        timeoutMs: call.timeoutMs,
        idempotencyKey: call.idempotencyKey,
      })
    ).body;

  const settled = (status: string, paymentId: string): { status: string } => {
    if (AUTHORIZED.has(status)) return { status };
    if (UNSETTLED.test(status))
      throw errors.paymentPending({
        detail: `Payment ${paymentId} is ${status}`,
        extensions: { paymentId, paymentStatus: status },
      });
    throw errors.paymentRefused({
      detail: `Payment ${paymentId} is ${status}, not authorized`,
      extensions: { paymentId, paymentStatus: status },
    });
  };

  return {
    async reserveStock(s, call) {
      const body = await send<{ status: string; expiresAt: string }>(
        'inventory',
        {
          method: 'PUT',
          path: `/api/v1/inventory/reservations/${s.reservationId}`,
          body: {
            orderId: s.orderId,
            items: s.items.map(({ productId, quantity }) => ({ productId, quantity })),
            ttlSeconds: o.reservationTtlSeconds,
          },
        },
        call,
      );
      // A repeated reserve answers with the reservation as it is now: after a long pause it may have expired.
      if (body.status !== 'HELD') {
        throw errors.reservationNotHeld({
          detail: `Reservation ${s.reservationId} is ${body.status}`,
          extensions: { reservationId: s.reservationId, reservationStatus: body.status },
        });
      }
      return { expiresAt: body.expiresAt };
    },
    async releaseStock(s, reason, call) {
      await send(
        'inventory',
        { method: 'POST', path: `/api/v1/inventory/reservations/${s.reservationId}/release`, body: { reason } },
        call,
      );
    },
    async authorizePayment(s, call) {
      const body = await send<{ status: string }>(
        'payments',
        {
          method: 'POST',
          path: `/api/v1/payments/${s.paymentId}/authorize`,
          body: {
            orderId: s.orderId,
            userId: s.userId,
            amountCents: s.totalCents,
            currency: s.currency,
            paymentMethod: s.paymentMethod,
          },
        },
        call,
      );
      return settled(body.status, s.paymentId);
    },
    async cancelPayment(s, reason, call) {
      await send(
        'payments',
        { method: 'POST', path: `/api/v1/payments/${s.paymentId}/cancel`, body: { reason, orderId: s.orderId } },
        call,
      );
    },
    async capturePayment(s, call) {
      const body = await send<{ status: string }>(
        'payments',
        { method: 'POST', path: `/api/v1/payments/${s.paymentId}/capture` },
        call,
      );
      return { status: body.status };
    },
  };
}
