// The processor's money rules as pure functions: whether an authorization is
// approved, and what a capture, void or refund may do to an authorization in
// its current state. Violations throw the coded errors the API answers with.

import type { AuthorizationStatus } from '../../contract.ts';
import { errors } from '../errors.ts';
import { fires } from '../behaviour/behaviour.ts';

/** Test cards that approve, unless the decline rate fires. */
export const APPROVING_METHODS: ReadonlySet<string> = new Set(['tok_visa', 'tok_mastercard', 'tok_amex']);

/** Test cards that always decline, with the processor's reason. */
export const DECLINING_METHODS: Readonly<Record<string, string>> = {
  tok_decline: 'card_declined',
  tok_insufficient_funds: 'insufficient_funds',
  tok_expired: 'expired_card',
};

export type AuthorizationOutcome = { status: 'authorized' } | { status: 'declined'; declineCode: string };

/**
 * tok_visa (and the other approving cards) approve unless the decline rate
 * fires for this draw; declining cards always decline; a token the processor
 * does not know is a card error too (402 invalid_payment_method), as with a
 * real processor's "no such card".
 */
export function decideAuthorization(paymentMethod: string, declineRate: number, random: () => number): AuthorizationOutcome {
  const declines = DECLINING_METHODS[paymentMethod];
  if (declines) return { status: 'declined', declineCode: declines };
  if (!APPROVING_METHODS.has(paymentMethod)) return { status: 'declined', declineCode: 'invalid_payment_method' };
  if (fires(declineRate, random)) return { status: 'declined', declineCode: 'card_declined' };
  return { status: 'authorized' };
}

export interface AuthorizationState {
  id: string;
  status: AuthorizationStatus;
  amount: number;
  amountCaptured: number;
  amountRefunded: number;
}

/** The amount to capture: all that was authorized unless less is asked. */
export function decideCapture(auth: AuthorizationState, requested: number | undefined): number {
  if (auth.status !== 'authorized') {
    throw errors.notCapturable({
      detail: `Authorization ${auth.id} is ${auth.status}; only an authorized one can be captured.`,
      extensions: { authorizationId: auth.id, authorizationStatus: auth.status },
    });
  }
  const amount = requested ?? auth.amount;
  if (amount > auth.amount) {
    throw errors.amountExceedsAuthorized({
      detail: `Cannot capture ${amount}: authorization ${auth.id} holds ${auth.amount}.`,
      extensions: { authorizationId: auth.id, requested: amount, authorized: auth.amount },
    });
  }
  return amount;
}

/** Only money held and not taken can be released. */
export function decideVoid(auth: AuthorizationState): void {
  if (auth.status !== 'authorized') {
    const hint = auth.status === 'captured' ? ' A captured authorization needs a refund.' : '';
    throw errors.notVoidable({
      detail: `Authorization ${auth.id} is ${auth.status}; only an authorized one can be voided.${hint}`,
      extensions: { authorizationId: auth.id, authorizationStatus: auth.status },
    });
  }
}

/** The amount to refund: what is left unless less is asked; refunds never add up past the capture. */
export function decideRefund(auth: AuthorizationState, captureId: string, requested: number | undefined): number {
  const refundable = auth.amountCaptured - auth.amountRefunded;
  const amount = requested ?? refundable;
  if (refundable <= 0 || amount > refundable) {
    throw errors.amountExceedsCaptured({
      detail:
        refundable <= 0
          ? `Capture ${captureId} is already refunded in full.`
          : `Cannot refund ${amount}: ${refundable} of capture ${captureId} is left to refund.`,
      extensions: { captureId, requested: amount, captured: auth.amountCaptured, refundable },
    });
  }
  return amount;
}
