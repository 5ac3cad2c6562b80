// Which integration events (contract.ts) the ledger's domain events announce.
// Pure: the ledger writes them to the outbox in the statement of the append, with
// the domain event's id as the CloudEvent id, so a retried write publishes nothing twice.

import type { EventContract, Publication, RecordedEvent } from '@souk/chassis';
import type { Static, TObject } from 'typebox';
import { PaymentAuthorized, PaymentCaptured, PaymentFailed, PaymentRefunded, PaymentVoided } from '../../contract.ts';
import type { PaymentEvent } from './payment-events.ts';
import type { PaymentState } from './payment-state.ts';

export interface Outgoing {
  type: string;
  data: unknown;
  id: string;
  /** What the outbox writes (publish, publishAll or publishing take it). */
  publication: Publication;
}

function outgoing<S extends TObject>(contract: EventContract<S>, data: Static<S>, source: RecordedEvent<PaymentEvent>): Outgoing {
  return {
    type: contract.type,
    data,
    id: source.id,
    publication: { contract, data, options: { id: source.id, subject: source.streamId, time: source.recordedAt } },
  };
}

/**
 * The announcements for `recorded` (just appended), given the state after
 * them. Requests, unknown outcomes and tombstones (a void of a payment never
 * asked for) announce nothing: no money moved and no order is waiting on them.
 */
export function integrationEventsFor(state: PaymentState, recorded: readonly RecordedEvent<PaymentEvent>[]): Outgoing[] {
  const out: Outgoing[] = [];
  const { orderId, userId, amountCents, currency } = state;
  for (const e of recorded) {
    const paymentId = e.streamId;
    const at = e.recordedAt.toISOString();
    switch (e.type) {
      case 'PaymentAuthorized':
        if (orderId && userId && amountCents !== null && currency) {
          out.push(
            outgoing(
              PaymentAuthorized,
              { paymentId, orderId, userId, amountCents, currency, authorizationId: e.data.authorizationId, authorizedAt: at },
              e,
            ),
          );
        }
        break;
      case 'PaymentFailed':
        if (orderId && userId && amountCents !== null && currency) {
          out.push(
            outgoing(
              PaymentFailed,
              { paymentId, orderId, userId, amountCents, currency, code: e.data.code, reason: e.data.reason, failedAt: at },
              e,
            ),
          );
        }
        break;
      case 'PaymentCaptured':
        if (orderId && currency)
          out.push(
            outgoing(
              PaymentCaptured,
              { paymentId, orderId, amountCents: e.data.amountCents, currency, captureId: e.data.captureId, capturedAt: at },
              e,
            ),
          );
        break;
      case 'PaymentVoided':
        // A payment that was asked for has an order waiting to hear it is off; a bare tombstone has none.
        if (orderId && amountCents !== null)
          out.push(outgoing(PaymentVoided, { paymentId, orderId, reason: e.data.reason, voidedAt: at }, e));
        break;
      case 'PaymentRefunded':
        if (orderId && currency) {
          out.push(
            outgoing(
              PaymentRefunded,
              {
                paymentId,
                orderId,
                amountCents: e.data.amountCents,
                currency,
                refundId: e.data.refundId,
                reason: e.data.reason,
                refundedAt: at,
              },
              e,
            ),
          );
        }
        break;
      default:
        break;
    }
  }
  return out;
}
