// The payment's business rules as a pure function: given a command and the
// state, what is the next step? Done, refused, or "record these events, then
// make this provider call". The command loop (payment-ledger.ts) runs the
// steps and feeds each provider answer back through recordOutcome
// (payment-outcomes.ts) until the command is done or refused.

import type { NewEvent, SoukError } from '@souk/chassis';
import { errors } from '../errors.ts';
import type { ProviderCall } from '../provider/provider-calls.ts';
import { idempotencyKey, type PaymentEvent } from './payment-events.ts';
import type { PaymentState } from './payment-state.ts';

export type PaymentCommand =
  | { kind: 'authorize'; orderId: string; userId: string; amountCents: number; currency: string; paymentMethod: string }
  | { kind: 'capture' }
  | { kind: 'void'; reason: string; orderId?: string }
  | { kind: 'refund'; reason: string; amountCents?: number }
  /** Compensation: void if authorized, refund if captured, nothing otherwise. */
  | { kind: 'cancel'; reason: string; orderId?: string };

/** What this run of a command has already learnt from the provider. */
export interface Progress {
  /** Looked the payment up by reference (after an earlier unknown outcome). */
  lookedUp: boolean;
  /** The provider refused the last operation with this code. */
  refused: string | null;
  /** Fetched the authorization after a refusal. */
  checked: boolean;
}

export const freshProgress = (): Progress => ({ lookedUp: false, refused: null, checked: false });

export type NewPaymentEvent = NewEvent<PaymentEvent>;

export type Step =
  { kind: 'done' } | { kind: 'reject'; error: SoukError } | { kind: 'act'; events: NewPaymentEvent[]; call: ProviderCall | null };

const done: Step = { kind: 'done' };
const reject = (error: SoukError): Step => ({ kind: 'reject', error });
const act = (events: NewPaymentEvent[], call: ProviderCall | null = null): Step => ({ kind: 'act', events, call });

export function decideNext(paymentId: string, command: PaymentCommand, state: PaymentState, progress: Progress): Step {
  switch (command.kind) {
    case 'authorize':
      return decideAuthorize(paymentId, command, state, progress);
    case 'capture':
      return decideCapture(paymentId, state, progress);
    case 'void':
      return decideVoid(paymentId, command, state, progress);
    case 'refund':
      return decideRefund(paymentId, command, state);
    case 'cancel':
      if (state.status === 'CAPTURED') return decideRefund(paymentId, { kind: 'refund', reason: command.reason }, state);
      if (state.status === 'FAILED' || state.status === 'REFUNDED') return done;
      return decideVoid(
        paymentId,
        { kind: 'void', reason: command.reason, ...(command.orderId ? { orderId: command.orderId } : {}) },
        state,
        progress,
      );
  }
}

/** A reconciliation: what did the provider do for this payment? */
const lookUp = (paymentId: string): Step => act([], { op: 'find-authorizations', reference: paymentId });

function decideAuthorize(
  paymentId: string,
  c: Extract<PaymentCommand, { kind: 'authorize' }>,
  s: PaymentState,
  p: Progress,
): Step {
  if (s.status === 'VOIDED') {
    return reject(
      errors.voided({
        detail: `Payment ${paymentId} was voided (${s.voidReason ?? 'no reason given'}); it cannot be authorized any more.`,
        extensions: { paymentId },
      }),
    );
  }
  const call = (): ProviderCall => ({
    op: 'authorize',
    idempotencyKey: idempotencyKey(paymentId, 'authorize'),
    amountCents: c.amountCents,
    currency: c.currency,
    paymentMethod: c.paymentMethod,
    reference: paymentId,
  });
  if (s.status === 'NEW') {
    // Recorded before the call: if the answer is lost, the next attempt knows to reconcile first.
    const { kind: _, ...request } = c;
    return act(
      [{ type: 'AuthorizationRequested', data: { ...request, idempotencyKey: idempotencyKey(paymentId, 'authorize') } }],
      call(),
    );
  }
  const differs = (['orderId', 'userId', 'amountCents', 'currency', 'paymentMethod'] as const).filter((f) => s[f] !== c[f]);
  if (differs.length > 0) {
    return reject(
      errors.conflict({
        detail: `Payment ${paymentId} was asked with another ${differs.join(', ')}.`,
        extensions: { paymentId, fields: differs },
      }),
    );
  }
  switch (s.status) {
    // An earlier attempt's answer is unknown: ask the provider what happened before asking again.
    case 'AUTHORIZING':
      return p.lookedUp ? act([], call()) : lookUp(paymentId);
    case 'FAILED':
      return reject(declinedError(paymentId, s));
    default:
      return done;
  }
}

export function declinedError(paymentId: string, s: PaymentState): SoukError {
  const code = s.failure?.code ?? 'DECLINED';
  return errors.declined({
    detail: `Payment ${paymentId} was declined: ${s.failure?.reason ?? code}.`,
    extensions: { paymentId, declineCode: code },
  });
}

function decideCapture(paymentId: string, s: PaymentState, p: Progress): Step {
  switch (s.status) {
    case 'NEW':
      return reject(notFound(paymentId));
    case 'AUTHORIZING':
      if (!p.lookedUp) return lookUp(paymentId);
      return reject(
        errors.notCapturable({
          detail: `Payment ${paymentId} has no authorization yet: retry the authorize first.`,
          extensions: { paymentId, paymentStatus: s.status },
        }),
      );
    case 'AUTHORIZED': {
      const again = afterRefusal(paymentId, s, p);
      if (again) return again;
      return act([], {
        op: 'capture',
        idempotencyKey: idempotencyKey(paymentId, 'capture'),
        authorizationId: s.authorizationId!,
      });
    }
    case 'CAPTURED':
    case 'REFUNDED':
      return done;
    default:
      return reject(
        errors.notCapturable({
          detail: `Payment ${paymentId} is ${s.status}; only an authorized payment can be captured.`,
          extensions: { paymentId, paymentStatus: s.status },
        }),
      );
  }
}

function decideVoid(paymentId: string, c: Extract<PaymentCommand, { kind: 'void' }>, s: PaymentState, p: Progress): Step {
  // No authorization exists (or none was ever asked for): the void is a tombstone that refuses a late authorize.
  const tombstone = (): Step =>
    act([
      { type: 'PaymentVoided', data: { reason: c.reason, authorizationId: null, orderId: c.orderId ?? null, reconciled: false } },
    ]);
  switch (s.status) {
    case 'NEW':
      return tombstone();
    case 'AUTHORIZING':
      return p.lookedUp ? tombstone() : lookUp(paymentId);
    case 'AUTHORIZED': {
      const again = afterRefusal(paymentId, s, p);
      if (again) return again;
      return act([], { op: 'void', idempotencyKey: idempotencyKey(paymentId, 'void'), authorizationId: s.authorizationId! });
    }
    case 'VOIDED':
    case 'FAILED':
      return done;
    default:
      return reject(
        errors.notVoidable({
          detail: `Payment ${paymentId} is ${s.status}: refund it (or cancel, which refunds) instead.`,
          extensions: { paymentId, paymentStatus: s.status },
        }),
      );
  }
}

function decideRefund(paymentId: string, c: Extract<PaymentCommand, { kind: 'refund' }>, s: PaymentState): Step {
  switch (s.status) {
    case 'NEW':
      return reject(notFound(paymentId));
    case 'REFUNDED':
      // One refund per payment: repeating it is done; asking for another amount is a conflict, not a silent no-op.
      if (c.amountCents !== undefined && c.amountCents !== s.refundedCents) {
        return reject(
          errors.alreadyRefunded({
            detail: `Payment ${paymentId} was already refunded ${s.refundedCents}; it takes one refund.`,
            extensions: { paymentId, refundedCents: s.refundedCents, requestedCents: c.amountCents },
          }),
        );
      }
      return done;
    case 'CAPTURED': {
      const pending = s.pendingRefund;
      // A refund already asked for is asked again exactly (same key, same body), whatever this request says.
      if (pending)
        return act([], {
          op: 'refund',
          idempotencyKey: pending.idempotencyKey,
          captureId: s.captureId!,
          amountCents: pending.amountCents,
          reason: pending.reason,
        });
      const refundable = s.capturedCents - s.refundedCents;
      const amountCents = c.amountCents ?? refundable;
      if (amountCents > refundable) {
        return reject(
          errors.refundTooLarge({
            detail: `Cannot refund ${amountCents}: ${refundable} was captured.`,
            extensions: { paymentId, requestedCents: amountCents, refundableCents: refundable },
          }),
        );
      }
      const key = idempotencyKey(paymentId, 'refund');
      return act([{ type: 'RefundRequested', data: { amountCents, reason: c.reason, idempotencyKey: key } }], {
        op: 'refund',
        idempotencyKey: key,
        captureId: s.captureId!,
        amountCents,
        reason: c.reason,
      });
    }
    default:
      return reject(
        errors.notRefundable({
          detail: `Payment ${paymentId} is ${s.status}; only a captured payment can be refunded.`,
          extensions: { paymentId, paymentStatus: s.status },
        }),
      );
  }
}

/** After the provider refused a capture or void: look at the authorization once, then give up. */
function afterRefusal(paymentId: string, s: PaymentState, p: Progress): Step | undefined {
  if (!p.refused) return undefined;
  if (!p.checked) return act([], { op: 'get-authorization', authorizationId: s.authorizationId! });
  return reject(
    errors.providerDisagrees({
      detail: `The provider refused an operation on payment ${paymentId} (${p.refused}) although its authorization looks ${s.status.toLowerCase()}.`,
      extensions: { paymentId, providerCode: p.refused },
    }),
  );
}

function notFound(paymentId: string): SoukError {
  return errors.notFound({ detail: `No payment ${paymentId}.`, extensions: { paymentId } });
}
