// The payment rules without I/O: each command's next step in each state, and
// what each provider answer records. Together they tell the "timeout, then a
// retry never charges twice" story step by step.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { decideNext, freshProgress, type PaymentCommand, type Step } from './payment-decide.ts';
import { recordOutcome } from './payment-outcomes.ts';
import { initialPaymentState, type PaymentState } from './payment-state.ts';
import type { ProviderAuthorization, ProviderCall } from '../provider/provider-calls.ts';

const P = '6f1c1b8e-8a43-4a43-9d0e-000000000001';
const ORDER = '6f1c1b8e-8a43-4a43-9d0e-0000000000aa';
const USER = '6f1c1b8e-8a43-4a43-9d0e-0000000000bb';
const authorize: PaymentCommand = {
  kind: 'authorize',
  orderId: ORDER,
  userId: USER,
  amountCents: 4_990,
  currency: 'EUR',
  paymentMethod: 'tok_visa',
};

const at = (status: PaymentState['status'], extra: Partial<PaymentState> = {}): PaymentState => ({
  ...initialPaymentState(),
  status,
  orderId: ORDER,
  userId: USER,
  amountCents: 4_990,
  currency: 'EUR',
  paymentMethod: 'tok_visa',
  createdAt: '2025-06-01T12:00:00.000Z',
  updatedAt: '2025-06-01T12:00:00.000Z',
  ...extra,
});
const providerAuth = (
  status: ProviderAuthorization['status'],
  extra: Partial<ProviderAuthorization> = {},
): ProviderAuthorization => ({
  id: 'auth_1',
  status,
  amount: 4_990,
  currency: 'EUR',
  reference: P,
  declineCode: null,
  amountCaptured: 0,
  amountRefunded: 0,
  captureId: null,
  ...extra,
});
const callOf = (step: Step): ProviderCall | null => (step.kind === 'act' ? step.call : null);
const eventTypes = (step: Step) => (step.kind === 'act' ? step.events.map((e) => e.type) : []);
const codeOf = (step: Step) => (step.kind === 'reject' ? step.error.code : step.kind);

describe('authorize', () => {
  test('a new payment records the request with its key before calling', () => {
    const step = decideNext(P, authorize, initialPaymentState(), freshProgress());
    assert.deepEqual(eventTypes(step), ['AuthorizationRequested']);
    assert.deepEqual(callOf(step), {
      op: 'authorize',
      idempotencyKey: `payment-${P}-authorize`,
      amountCents: 4_990,
      currency: 'EUR',
      paymentMethod: 'tok_visa',
      reference: P,
    });
  });

  test('after an unknown outcome: look up by reference first, then ask again with the SAME key', () => {
    const progress = freshProgress();
    const state = at('AUTHORIZING', { unknownOutcomes: 1 });
    const first = decideNext(P, authorize, state, progress);
    assert.deepEqual(callOf(first), { op: 'find-authorizations', reference: P });
    // The provider never saw it: nothing recorded, and the next step is the same POST as before.
    assert.deepEqual(
      recordOutcome(P, authorize, state, callOf(first)!, { kind: 'found', authorizations: [] }, progress).events,
      [],
    );
    const second = decideNext(P, authorize, state, progress);
    assert.equal(callOf(second)?.op, 'authorize');
    assert.equal((callOf(second) as { idempotencyKey: string }).idempotencyKey, `payment-${P}-authorize`);
  });

  test('the lookup finds the authorization: recorded as reconciled, no second authorization asked', () => {
    const progress = freshProgress();
    const state = at('AUTHORIZING');
    const found = recordOutcome(
      P,
      authorize,
      state,
      { op: 'find-authorizations', reference: P },
      { kind: 'found', authorizations: [providerAuth('authorized')] },
      progress,
    );
    assert.deepEqual(found.events, [{ type: 'PaymentAuthorized', data: { authorizationId: 'auth_1', reconciled: true } }]);
    assert.equal(found.error, undefined);
    assert.equal(codeOf(decideNext(P, authorize, at('AUTHORIZED', { authorizationId: 'auth_1' }), progress)), 'done');
  });

  test('an unknown outcome is recorded and answered 503 (retryable)', () => {
    const call = callOf(decideNext(P, authorize, initialPaymentState(), freshProgress()))!;
    const r = recordOutcome(
      P,
      authorize,
      at('AUTHORIZING'),
      call,
      { kind: 'unknown', errorCode: 'SOUK_CLIENT_TIMEOUT', detail: 'slow', sent: true },
      freshProgress(),
    );
    assert.deepEqual(
      r.events.map((e) => e.type),
      ['ProviderOutcomeUnknown'],
    );
    assert.equal(r.error?.code, 'SOUK_PAYMENTS_PROVIDER_UNAVAILABLE');
    assert.equal(r.error?.retryable, true);
    // A failed lookup, or a call that never left, changed nothing at the provider: nothing to record, still 503.
    assert.deepEqual(
      recordOutcome(
        P,
        authorize,
        at('AUTHORIZING'),
        { op: 'find-authorizations', reference: P },
        { kind: 'unknown', errorCode: 'x', detail: '', sent: true },
        freshProgress(),
      ).events,
      [],
    );
    const unsent = recordOutcome(
      P,
      authorize,
      at('AUTHORIZING'),
      call,
      { kind: 'unknown', errorCode: 'SOUK_CLIENT_CIRCUIT_OPEN', detail: '', sent: false },
      freshProgress(),
    );
    assert.deepEqual([unsent.events, unsent.error?.code], [[], 'SOUK_PAYMENTS_PROVIDER_UNAVAILABLE']);
  });

  test('a decline fails the payment; a repeat answers 402 again without calling', () => {
    const r = recordOutcome(
      P,
      authorize,
      at('AUTHORIZING'),
      callOf(decideNext(P, authorize, initialPaymentState(), freshProgress()))!,
      { kind: 'declined', declineCode: 'insufficient_funds', authorizationId: 'auth_2', detail: 'no money' },
      freshProgress(),
    );
    assert.deepEqual(r.events, [
      { type: 'PaymentFailed', data: { code: 'INSUFFICIENT_FUNDS', reason: 'no money', authorizationId: 'auth_2' } },
    ]);
    const again = decideNext(
      P,
      authorize,
      at('FAILED', { failure: { code: 'INSUFFICIENT_FUNDS', reason: 'no money' } }),
      freshProgress(),
    );
    assert.equal(codeOf(again), 'SOUK_PAYMENTS_DECLINED');
    assert.equal(again.kind === 'reject' && again.error.status, 402);
  });

  test('repeats: the same request is answered from the state; another request with the same id is a conflict; a voided payment refuses', () => {
    for (const status of ['AUTHORIZED', 'CAPTURED', 'REFUNDED'] as const)
      assert.equal(codeOf(decideNext(P, authorize, at(status), freshProgress())), 'done');
    const other = decideNext(P, { ...authorize, amountCents: 1 }, at('AUTHORIZED'), freshProgress());
    assert.equal(codeOf(other), 'SOUK_PAYMENTS_CONFLICT');
    assert.equal(
      codeOf(decideNext(P, authorize, { ...initialPaymentState(), status: 'VOIDED' }, freshProgress())),
      'SOUK_PAYMENTS_VOIDED',
    );
  });
});

describe('capture, void, refund, cancel', () => {
  const authorized = at('AUTHORIZED', { authorizationId: 'auth_1' });
  const captured = at('CAPTURED', { authorizationId: 'auth_1', captureId: 'cap_1', capturedCents: 4_990 });

  test('capture: calls with its own key; repeats are done; only an authorized payment can be captured', () => {
    assert.deepEqual(callOf(decideNext(P, { kind: 'capture' }, authorized, freshProgress())), {
      op: 'capture',
      idempotencyKey: `payment-${P}-capture`,
      authorizationId: 'auth_1',
    });
    assert.equal(codeOf(decideNext(P, { kind: 'capture' }, captured, freshProgress())), 'done');
    assert.equal(codeOf(decideNext(P, { kind: 'capture' }, initialPaymentState(), freshProgress())), 'SOUK_PAYMENTS_NOT_FOUND');
    assert.equal(codeOf(decideNext(P, { kind: 'capture' }, at('VOIDED'), freshProgress())), 'SOUK_PAYMENTS_NOT_CAPTURABLE');
  });

  test('a refused capture is explained by the authorization: captured under a lost answer → recorded, done', () => {
    const progress = freshProgress();
    const capture = callOf(decideNext(P, { kind: 'capture' }, authorized, progress))!;
    assert.deepEqual(
      recordOutcome(
        P,
        { kind: 'capture' },
        authorized,
        capture,
        { kind: 'refused', code: 'SOUK_PROVIDER_NOT_CAPTURABLE', detail: '' },
        progress,
      ).events,
      [],
    );
    const look = callOf(decideNext(P, { kind: 'capture' }, authorized, progress));
    assert.deepEqual(look, { op: 'get-authorization', authorizationId: 'auth_1' });
    const r = recordOutcome(
      P,
      { kind: 'capture' },
      authorized,
      look,
      { kind: 'authorization', authorization: providerAuth('captured', { captureId: 'cap_7', amountCaptured: 4_990 }) },
      progress,
    );
    assert.deepEqual(r.events, [{ type: 'PaymentCaptured', data: { captureId: 'cap_7', amountCents: 4_990, reconciled: true } }]);
    // Had the authorization said nothing new, the next decision gives up with 502 rather than loop.
    assert.equal(codeOf(decideNext(P, { kind: 'capture' }, authorized, progress)), 'SOUK_PAYMENTS_PROVIDER_DISAGREES');
  });

  test('a refunded payment: the same refund again is done, another amount is a 409', () => {
    const refunded = at('REFUNDED', { authorizationId: 'auth_1', captureId: 'cap_1', capturedCents: 4_990, refundedCents: 30 });
    assert.equal(codeOf(decideNext(P, { kind: 'refund', reason: 'r' }, refunded, freshProgress())), 'done');
    assert.equal(codeOf(decideNext(P, { kind: 'refund', reason: 'r', amountCents: 30 }, refunded, freshProgress())), 'done');
    assert.equal(
      codeOf(decideNext(P, { kind: 'refund', reason: 'r', amountCents: 70 }, refunded, freshProgress())),
      'SOUK_PAYMENTS_ALREADY_REFUNDED',
    );
  });

  test('void of a payment never seen: a tombstone, no provider call', () => {
    const step = decideNext(
      P,
      { kind: 'void', reason: 'order cancelled', orderId: ORDER },
      initialPaymentState(),
      freshProgress(),
    );
    assert.deepEqual(step, {
      kind: 'act',
      call: null,
      events: [
        { type: 'PaymentVoided', data: { reason: 'order cancelled', authorizationId: null, orderId: ORDER, reconciled: false } },
      ],
    });
  });

  test('void of an authorization whose outcome is unknown: look first; found → authorized, then voided at the provider', () => {
    const progress = freshProgress();
    const voidIt: PaymentCommand = { kind: 'void', reason: 'order cancelled' };
    assert.equal(callOf(decideNext(P, voidIt, at('AUTHORIZING'), progress))?.op, 'find-authorizations');
    const found = recordOutcome(
      P,
      voidIt,
      at('AUTHORIZING'),
      { op: 'find-authorizations', reference: P },
      { kind: 'found', authorizations: [providerAuth('authorized')] },
      progress,
    );
    assert.deepEqual(
      found.events.map((e) => e.type),
      ['PaymentAuthorized'],
    );
    assert.deepEqual(callOf(decideNext(P, voidIt, authorized, progress)), {
      op: 'void',
      idempotencyKey: `payment-${P}-void`,
      authorizationId: 'auth_1',
    });
    // Not found: the tombstone, so a late retry of the authorize is refused.
    const nothing = freshProgress();
    recordOutcome(
      P,
      voidIt,
      at('AUTHORIZING'),
      { op: 'find-authorizations', reference: P },
      { kind: 'found', authorizations: [] },
      nothing,
    );
    assert.deepEqual(eventTypes(decideNext(P, voidIt, at('AUTHORIZING'), nothing)), ['PaymentVoided']);
  });

  test('refund: the request is recorded with its key and body; a retry resends exactly that body', () => {
    const step = decideNext(P, { kind: 'refund', reason: 'broken', amountCents: 1_000 }, captured, freshProgress());
    assert.deepEqual(eventTypes(step), ['RefundRequested']);
    assert.deepEqual(callOf(step), {
      op: 'refund',
      idempotencyKey: `payment-${P}-refund`,
      captureId: 'cap_1',
      amountCents: 1_000,
      reason: 'broken',
    });
    const pending = {
      ...captured,
      pendingRefund: { amountCents: 1_000, reason: 'broken', idempotencyKey: `payment-${P}-refund` },
    };
    const retry = decideNext(P, { kind: 'refund', reason: 'another reason' }, pending, freshProgress());
    assert.deepEqual(eventTypes(retry), []);
    assert.deepEqual(callOf(retry), callOf(step));
    assert.equal(
      codeOf(decideNext(P, { kind: 'refund', reason: 'x', amountCents: 5_000 }, captured, freshProgress())),
      'SOUK_PAYMENTS_REFUND_TOO_LARGE',
    );
    assert.equal(
      codeOf(decideNext(P, { kind: 'refund', reason: 'x' }, authorized, freshProgress())),
      'SOUK_PAYMENTS_NOT_REFUNDABLE',
    );
  });

  test('cancel: void if authorized, refund if captured, nothing if failed, voided or refunded', () => {
    const cancel: PaymentCommand = { kind: 'cancel', reason: 'saga compensation' };
    assert.equal(callOf(decideNext(P, cancel, authorized, freshProgress()))?.op, 'void');
    assert.equal(callOf(decideNext(P, cancel, captured, freshProgress()))?.op, 'refund');
    for (const status of ['FAILED', 'VOIDED', 'REFUNDED'] as const)
      assert.equal(codeOf(decideNext(P, cancel, at(status), freshProgress())), 'done');
    assert.deepEqual(eventTypes(decideNext(P, cancel, initialPaymentState(), freshProgress())), ['PaymentVoided']);
    assert.equal(codeOf(decideNext(P, { kind: 'void', reason: 'x' }, captured, freshProgress())), 'SOUK_PAYMENTS_NOT_VOIDABLE');
  });
});
