// evolve: a payment's state from its events, and the integration events they announce.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RecordedEvent } from '@souk/chassis';
import { integrationEventsFor } from './integration-events.ts';
import type { PaymentEvent } from './payment-events.ts';
import { evolvePayment, initialPaymentState, type PaymentState } from './payment-state.ts';

const PAYMENT = '6f1c1b8e-8a43-4a43-9d0e-000000000001';
const ORDER = '6f1c1b8e-8a43-4a43-9d0e-0000000000aa';
const USER = '6f1c1b8e-8a43-4a43-9d0e-0000000000bb';

function history(...events: Array<Pick<PaymentEvent, 'type' | 'data'>>): RecordedEvent<PaymentEvent>[] {
  return events.map(
    (e, i) =>
      ({
        ...e,
        id: `00000000-0000-4000-8000-00000000000${i}`,
        streamId: PAYMENT,
        version: i + 1,
        position: 100 + i,
        metadata: {},
        recordedAt: new Date(Date.UTC(2025, 5, 1, 12, 0, i)),
      }) as RecordedEvent<PaymentEvent>,
  );
}
const fold = (events: RecordedEvent<PaymentEvent>[]): PaymentState => events.reduce(evolvePayment, initialPaymentState());

const requested = {
  type: 'AuthorizationRequested' as const,
  data: { orderId: ORDER, userId: USER, amountCents: 4_990, currency: 'EUR', paymentMethod: 'tok_visa', idempotencyKey: 'k' },
};

test('requested → unknown outcome → authorized (reconciled) → captured → refunded', () => {
  const events = history(
    requested,
    {
      type: 'ProviderOutcomeUnknown',
      data: { operation: 'authorize', idempotencyKey: 'k', errorCode: 'SOUK_CLIENT_TIMEOUT', detail: 't' },
    },
    { type: 'PaymentAuthorized', data: { authorizationId: 'auth_1', reconciled: true } },
    { type: 'PaymentCaptured', data: { captureId: 'cap_1', amountCents: 4_990, reconciled: false } },
    { type: 'RefundRequested', data: { amountCents: 4_990, reason: 'shipment failed', idempotencyKey: 'r' } },
  );
  const pending = fold(events);
  assert.equal(pending.status, 'CAPTURED');
  assert.deepEqual(pending.pendingRefund, { amountCents: 4_990, reason: 'shipment failed', idempotencyKey: 'r' });
  const refunded = evolvePayment(
    pending,
    history(...events, { type: 'PaymentRefunded', data: { refundId: 're_1', amountCents: 4_990, reason: 'shipment failed' } }).at(
      -1,
    )!,
  );
  assert.equal(refunded.status, 'REFUNDED');
  assert.equal(refunded.unknownOutcomes, 1);
  assert.equal(refunded.pendingRefund, null);
  assert.deepEqual([refunded.authorizationId, refunded.captureId, refunded.refundId], ['auth_1', 'cap_1', 're_1']);
  assert.deepEqual([refunded.capturedCents, refunded.refundedCents], [4_990, 4_990]);
  assert.equal(refunded.createdAt, '2025-06-01T12:00:00.000Z');
  assert.equal(refunded.updatedAt, '2025-06-01T12:00:05.000Z');
});

test('a void before any request is a tombstone that keeps the order id it was given', () => {
  const state = fold(
    history({
      type: 'PaymentVoided',
      data: { reason: 'order cancelled', authorizationId: null, orderId: ORDER, reconciled: false },
    }),
  );
  assert.equal(state.status, 'VOIDED');
  assert.equal(state.orderId, ORDER);
  assert.equal(state.amountCents, null);
  assert.equal(state.createdAt, '2025-06-01T12:00:00.000Z');
});

test('a declined authorization fails with its code; an unknown event type leaves the state alone', () => {
  const failed = fold(
    history(requested, { type: 'PaymentFailed', data: { code: 'DECLINED', reason: 'card declined', authorizationId: 'auth_9' } }),
  );
  assert.deepEqual(
    [failed.status, failed.failure, failed.authorizationId],
    ['FAILED', { code: 'DECLINED', reason: 'card declined' }, 'auth_9'],
  );
  const future = history(requested, { type: 'SomethingNew', data: {} } as never);
  assert.equal(fold(future).status, 'AUTHORIZING');
});

test("integration events: one per money movement, with the payment's order and amount; none for requests or tombstones", () => {
  const events = history(
    requested,
    {
      type: 'ProviderOutcomeUnknown',
      data: { operation: 'authorize', idempotencyKey: 'k', errorCode: 'SOUK_CLIENT_TIMEOUT', detail: 't' },
    },
    { type: 'PaymentAuthorized', data: { authorizationId: 'auth_1', reconciled: false } },
    { type: 'PaymentCaptured', data: { captureId: 'cap_1', amountCents: 4_990, reconciled: false } },
  );
  const out = integrationEventsFor(fold(events), events);
  assert.deepEqual(
    out.map((o) => o.type),
    ['souk.payments.PaymentAuthorized', 'souk.payments.PaymentCaptured'],
  );
  assert.deepEqual(out[0]!.data, {
    paymentId: PAYMENT,
    orderId: ORDER,
    userId: USER,
    amountCents: 4_990,
    currency: 'EUR',
    authorizationId: 'auth_1',
    authorizedAt: '2025-06-01T12:00:02.000Z',
  });
  assert.equal(out[0]!.id, events[2]!.id, 'the domain event id is the CloudEvent id');

  const tombstone = history({
    type: 'PaymentVoided',
    data: { reason: 'x', authorizationId: null, orderId: ORDER, reconciled: false },
  });
  assert.deepEqual(integrationEventsFor(fold(tombstone), tombstone), []);
  const voided = history(requested, {
    type: 'PaymentVoided',
    data: { reason: 'order cancelled', authorizationId: null, orderId: null, reconciled: false },
  });
  assert.deepEqual(
    integrationEventsFor(fold(voided), voided.slice(1)).map((o) => o.data),
    [{ paymentId: PAYMENT, orderId: ORDER, reason: 'order cancelled', voidedAt: '2025-06-01T12:00:01.000Z' }],
  );
});
