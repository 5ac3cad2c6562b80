// The checkout saga, orchestrated: each step beside its compensation. Stock
// first (cheap to undo), then the payment, then the pivot (the order is
// CONFIRMED and everyone hears of it), then the capture. A failure anywhere
// undoes what was done, in reverse, the failed step included. Stock and
// payment do not need each other's results, but they stay in order rather than
// in parallel(...): a shortage must not authorize (and void) the shopper's card
// (ARCHITECTURE.md, Decisions).

import { defineSaga, type SagaDefinition, type SagaFailure, type StepContext } from '@souk/chassis';
import type { OrdersDb } from '../db.ts';
import { errors } from '../errors.ts';
import type { OrderLifecycle } from '../orders/order-lifecycle.ts';
import type { OrderStore } from '../orders/order-store.ts';
import { cancellationReason, STEP_NAMES } from './failure-reasons.ts';
import type { Call, CheckoutState, Participants } from './participants.ts';
import { CHECKOUT_SAGA } from './saga-ids.ts';

/** A local step (one transaction in our own database) needs no more than this. */
const LOCAL_STEP_TIMEOUT_MS = 10_000;
/** Confirming needs the reservation to outlive the rest of the saga by at least this much. */
export const RESERVATION_MARGIN_MS = 30_000;

export interface StepSettings {
  /** Deadline of each remote step before the pivot. */
  stepTimeoutMs: number;
  /**
   * Deadline of the capture, after the pivot: the order was announced, so the
   * saga pushes forward much longer before it gives up and undoes it (a provider
   * outage of a few minutes should delay the money, not cancel the order).
   */
  captureTimeoutMs: number;
  attemptTimeoutMs: number;
  retry: { baseMs: number; capMs: number };
  compensationRetry: { baseMs: number; capMs: number };
}

export interface CheckoutDeps {
  participants: Participants;
  lifecycle: OrderLifecycle;
  store: OrderStore;
  settings: StepSettings;
}

export function checkoutSaga(deps: CheckoutDeps): SagaDefinition<CheckoutState, OrdersDb> {
  const p = deps.participants;
  const { stepTimeoutMs, captureTimeoutMs, attemptTimeoutMs, retry, compensationRetry } = deps.settings;
  const remote = { timeoutMs: stepTimeoutMs, attemptTimeoutMs, retry, compensationRetry };
  const call = (ctx: StepContext<CheckoutState, OrdersDb>, suffix = ''): Call => ({
    signal: ctx.signal,
    timeoutMs: attemptTimeoutMs,
    idempotencyKey: ctx.idempotencyKey + suffix,
  });
  const reasonOf = (failure: SagaFailure | undefined, items: CheckoutState['items']) =>
    failure ? cancellationReason(failure, items) : { reasonCode: 'CHECKOUT_FAILED', reason: 'The checkout failed.' };
  /** Why the order is being undone, as inventory and payments record it. */
  const why = (ctx: StepContext<CheckoutState, OrdersDb>) => {
    const r = reasonOf(ctx.failure, ctx.state.items);
    return `${r.reasonCode}: ${r.reason}`.slice(0, 200);
  };

  return defineSaga<CheckoutState, OrdersDb>({
    name: CHECKOUT_SAGA,
    steps: [
      {
        name: STEP_NAMES.reserveStock,
        ...remote,
        run: async (ctx) => ({ reservationExpiresAt: (await p.reserveStock(ctx.state, call(ctx))).expiresAt }),
        // Also after a failed or timed-out reserve: an unknown reservation becomes a tombstone that refuses a late one.
        compensate: (ctx) => p.releaseStock(ctx.state, why(ctx), call(ctx)),
      },
      {
        name: STEP_NAMES.authorizePayment,
        ...remote,
        run: async (ctx) => ({ paymentStatus: (await p.authorizePayment(ctx.state, call(ctx))).status }),
        // Void if authorized, refund if captured (a failed capture may have captured), no-op otherwise.
        compensate: (ctx) => p.cancelPayment(ctx.state, why(ctx), call(ctx)),
      },
      {
        name: STEP_NAMES.confirmOrder,
        timeoutMs: LOCAL_STEP_TIMEOUT_MS,
        transactional: true,
        compensationRetry,
        async run(ctx) {
          // A saga that stalled (paused, or orders down) past its reservation must not confirm units inventory no longer holds.
          const expiresAt = Date.parse(ctx.state.reservationExpiresAt ?? '');
          if (!(expiresAt - Date.now() > RESERVATION_MARGIN_MS)) {
            throw errors.reservationNotHeld({
              detail: `Reservation ${ctx.state.reservationId} expires at ${ctx.state.reservationExpiresAt ?? 'an unknown time'}, too soon to confirm`,
              extensions: { reservationId: ctx.state.reservationId },
            });
          }
          const { order } = await deps.lifecycle.confirm(ctx.db, ctx.state.orderId, ctx.state);
          if (order.status !== 'CONFIRMED')
            throw errors.notPending({ detail: `Order ${order.id} is ${order.status}`, extensions: { status: order.status } });
        },
        async compensate(ctx) {
          await deps.lifecycle.cancel(ctx.db, ctx.state.orderId, reasonOf(ctx.failure, ctx.state.items), [
            'PENDING',
            'CONFIRMED',
          ]);
        },
      },
      {
        name: STEP_NAMES.capturePayment,
        ...remote,
        timeoutMs: captureTimeoutMs,
        async run(ctx) {
          // A shipment that failed before the capture cancelled the order: take no money for it.
          const order = await deps.store.statusOf(ctx.state.orderId);
          if (order?.status === 'CANCELLED') {
            await p.cancelPayment(ctx.state, `${order.reasonCode}: ${order.reason}`.slice(0, 200), call(ctx, ':cancel'));
            return { paymentStatus: 'CANCELLED' };
          }
          return { paymentStatus: (await p.capturePayment(ctx.state, call(ctx))).status };
        },
      },
    ],
    // Steps before the pivot have no order step to undo: the order is cancelled here, with the end of the saga.
    async onCompensated({ db, state, failure }) {
      await deps.lifecycle.cancel(db, state.orderId, reasonOf(failure, state.items), ['PENDING', 'CONFIRMED']);
    },
  });
}
