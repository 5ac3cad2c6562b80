// What a provider answer means for the ledger, as a pure function: the events
// it records and, when the command cannot go on, the error to answer with.
// Reconciliation lives here too: the provider's view of an authorization
// turned into the events the ledger missed.

import type { SoukError } from '@souk/chassis';
import { errors } from '../errors.ts';
import {
  failureCodeOf,
  type ProviderAuthorization,
  type ProviderCall,
  type ProviderOutcome,
} from '../provider/provider-calls.ts';
import type { PaymentCommand, Progress, NewPaymentEvent } from './payment-decide.ts';
import type { PaymentState } from './payment-state.ts';

export interface Recorded {
  events: NewPaymentEvent[];
  /** The command stops here with this error (after the events are recorded). */
  error?: SoukError;
}

const SIDE_EFFECTS = new Set(['authorize', 'capture', 'void', 'refund']);

/** Records what `outcome` says; updates `progress` (what this run has learnt). */
export function recordOutcome(
  paymentId: string,
  command: PaymentCommand,
  state: PaymentState,
  call: ProviderCall,
  outcome: ProviderOutcome,
  progress: Progress,
): Recorded {
  if (outcome.kind === 'unknown') {
    const error = errors.providerUnavailable({
      detail: `The payment provider gave no answer for ${call.op} of payment ${paymentId} (${outcome.errorCode}); retry: the same request reconciles and never charges twice.`,
      extensions: { paymentId, operation: call.op, providerError: outcome.errorCode },
    });
    // A failed lookup, or a call that never left (open circuit), changed nothing at the provider: nothing to record.
    if (!outcome.sent || !('idempotencyKey' in call) || !SIDE_EFFECTS.has(call.op)) return { events: [], error };
    const operation = call.op;
    return {
      events: [
        {
          type: 'ProviderOutcomeUnknown',
          data: { operation, idempotencyKey: call.idempotencyKey, errorCode: outcome.errorCode, detail: outcome.detail },
        },
      ],
      error,
    };
  }
  if (outcome.kind === 'refused' && (call.op === 'capture' || call.op === 'void')) {
    // The provider's state differs from ours (a void or capture whose answer was lost): look, then decide again.
    progress.refused = outcome.code;
    return { events: [] };
  }
  if (outcome.kind === 'refused') return { events: [], error: disagrees(paymentId, call, outcome.code, outcome.detail) };

  switch (call.op) {
    case 'authorize':
      if (outcome.kind === 'declined') {
        return {
          events: [
            {
              type: 'PaymentFailed',
              data: {
                code: failureCodeOf(outcome.declineCode),
                reason: outcome.detail,
                authorizationId: outcome.authorizationId,
              },
            },
          ],
        };
      }
      if (outcome.kind === 'authorization') return { events: reconcile(state, outcome.authorization, false) };
      break;
    case 'find-authorizations':
      if (outcome.kind === 'found') {
        progress.lookedUp = true;
        const made = outcome.authorizations.find((a) => a.status !== 'declined');
        if (made) return { events: reconcile(state, made, true) };
        const declined = outcome.authorizations[0];
        if (declined && state.status === 'AUTHORIZING') {
          return {
            events: [
              {
                type: 'PaymentFailed',
                data: {
                  code: failureCodeOf(declined.declineCode ?? 'card_declined'),
                  reason: `declined (${declined.declineCode ?? 'card_declined'})`,
                  authorizationId: declined.id,
                },
              },
            ],
          };
        }
        return { events: [] };
      }
      break;
    case 'get-authorization':
      if (outcome.kind === 'authorization') {
        progress.checked = true;
        return { events: reconcile(state, outcome.authorization, true) };
      }
      break;
    case 'capture':
      if (outcome.kind === 'captured') {
        return {
          events: [
            {
              type: 'PaymentCaptured',
              data: { captureId: outcome.captureId, amountCents: outcome.amountCents, reconciled: false },
            },
          ],
        };
      }
      break;
    case 'void':
      if (outcome.kind === 'authorization') {
        const reason = command.kind === 'void' || command.kind === 'cancel' ? command.reason : 'voided';
        return {
          events: [
            {
              type: 'PaymentVoided',
              data: { reason, authorizationId: outcome.authorization.id, orderId: null, reconciled: false },
            },
          ],
        };
      }
      break;
    case 'refund':
      if (outcome.kind === 'refunded') {
        return {
          events: [
            {
              type: 'PaymentRefunded',
              data: { refundId: outcome.refundId, amountCents: outcome.amountCents, reason: call.reason },
            },
          ],
        };
      }
      break;
  }
  return { events: [], error: disagrees(paymentId, call, outcome.kind, `unexpected answer ${outcome.kind} to ${call.op}`) };
}

/**
 * The events that bring the ledger to what the provider says of the
 * payment's authorization: authorized, then captured or voided, as far as
 * the ledger has not recorded it yet.
 */
export function reconcile(state: PaymentState, auth: ProviderAuthorization, reconciled: boolean): NewPaymentEvent[] {
  const events: NewPaymentEvent[] = [];
  let status = state.status;
  if (status === 'AUTHORIZING') {
    if (auth.status === 'declined') {
      const code = auth.declineCode ?? 'card_declined';
      return [
        { type: 'PaymentFailed', data: { code: failureCodeOf(code), reason: `declined (${code})`, authorizationId: auth.id } },
      ];
    }
    events.push({ type: 'PaymentAuthorized', data: { authorizationId: auth.id, reconciled } });
    status = 'AUTHORIZED';
  }
  if (status === 'AUTHORIZED' && auth.status === 'captured' && auth.captureId) {
    events.push({
      type: 'PaymentCaptured',
      data: { captureId: auth.captureId, amountCents: auth.amountCaptured, reconciled: true },
    });
  }
  if (status === 'AUTHORIZED' && auth.status === 'voided') {
    events.push({
      type: 'PaymentVoided',
      data: { reason: 'voided at the provider', authorizationId: auth.id, orderId: null, reconciled: true },
    });
  }
  return events;
}

function disagrees(paymentId: string, call: ProviderCall, code: string, detail: string): SoukError {
  return errors.providerDisagrees({
    detail: `The provider refused ${call.op} of payment ${paymentId}: ${detail}`,
    extensions: { paymentId, operation: call.op, providerCode: code },
  });
}
