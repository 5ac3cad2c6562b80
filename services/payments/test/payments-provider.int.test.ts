// Payments against the REAL payment provider: authorize, decline, a slow or
// down provider then recovered (exactly one authorization and one capture at
// the provider), reconciliation by reference, a void before the authorize,
// idempotent capture, and the payment as of a time before its capture.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { API, assertProblem, authorizeBody, startPayments, type Harness } from './harness.ts';

let h: Harness;

before(async () => {
  // A short per-attempt timeout, so a provider made slower than it times out quickly; snapshots every 2 events.
  h = await startPayments('payments_provider', { env: { PAYMENTS_PROVIDER_TIMEOUT_MS: '300', PAYMENTS_SNAPSHOT_EVERY: '2' } });
});
after(async () => {
  await h?.close();
});

const authorize = (id: string, body: Record<string, unknown>) => h.post(`${API}/${id}/authorize`, body);
const capture = (id: string) => h.post(`${API}/${id}/capture`);
const eventsOf = async (id: string): Promise<string[]> =>
  (await h.get(`${API}/${id}/events`)).json.events.map((e: { type: string }) => e.type);
const outbox = async (id: string): Promise<string[]> =>
  (await h.query<{ type: string }>(`select type from souk_outbox where envelope->>'subject' = $1 order by seq`, [id])).map(
    (r) => r.type,
  );

describe('authorize', () => {
  test('approved: AUTHORIZED, PaymentAuthorized published, the read model written; a repeat changes nothing', async () => {
    const id = randomUUID();
    const body = authorizeBody();
    const res = await authorize(id, body);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'AUTHORIZED');
    assert.match(res.json.authorizationId, /^auth_/);
    assert.deepEqual(
      [res.json.orderId, res.json.amountCents, res.json.currency, res.json.version],
      [body.orderId, 4_990, 'EUR', 2],
    );
    assert.deepEqual(await outbox(id), ['souk.payments.PaymentAuthorized']);
    const [row] = await h.query(`select status, order_id, amount_cents, version from payments where id = $1`, [id]);
    assert.deepEqual(row, { status: 'AUTHORIZED', order_id: body.orderId, amount_cents: 4_990, version: 2 });

    const again = await authorize(id, body);
    assert.equal(again.status, 200);
    assert.equal(again.json.version, 2);
    assert.equal((await h.provider.charges(id)).authorizations.length, 1);
    // The same id for another order is refused.
    assertProblem(await authorize(id, { ...body, orderId: randomUUID() }), 409, 'SOUK_PAYMENTS_CONFLICT');
  });

  test('declined: 402 and PaymentFailed; a repeat answers 402 again without a second attempt', async () => {
    const id = randomUUID();
    const body = authorizeBody({ paymentMethod: 'tok_decline' });
    const res = await authorize(id, body);
    assertProblem(res, 402, 'SOUK_PAYMENTS_DECLINED');
    assert.equal(res.json.declineCode, 'DECLINED');
    assert.deepEqual(await eventsOf(id), ['AuthorizationRequested', 'PaymentFailed']);
    assert.deepEqual(await outbox(id), ['souk.payments.PaymentFailed']);
    const payment = (await h.get(`${API}/${id}`)).json;
    assert.deepEqual([payment.status, payment.failure.code], ['FAILED', 'DECLINED']);
    assertProblem(await authorize(id, body), 402, 'SOUK_PAYMENTS_DECLINED');
    assert.equal((await h.provider.charges(id)).authorizations.length, 1);
  });
});

describe('a slow or failing provider never charges twice', () => {
  test('latency above the timeout, then recovered: one authorization, one capture at the provider', async (t) => {
    const id = randomUUID();
    const body = authorizeBody();
    await h.provider.behave({ latencyMs: 1_500 });
    let res = await authorize(id, body);
    // Like orders, retry while the answer is "unavailable, retry": each attempt reuses the key.
    for (let tries = 1; res.status === 503 && tries < 5; tries++) res = await authorize(id, body);
    await h.provider.behave({ latencyMs: 0 });
    if (res.status === 503) res = await authorize(id, body);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'AUTHORIZED');
    t.diagnostic(`ledger: ${(await eventsOf(id)).join(', ')}`);
    const captured = await capture(id);
    assert.equal(captured.status, 200, captured.text);
    assert.equal(captured.json.status, 'CAPTURED');
    const charges = await h.provider.charges(id);
    assert.equal(charges.authorizations.length, 1, 'exactly one authorization');
    assert.equal(charges.captures.length, 1, 'exactly one capture');
    assert.equal(charges.amountCaptured, 4_990);
  });

  test('provider down: 503 and the unknown outcome recorded; back up: the retry looks it up, asks once, captures once', async () => {
    const id = randomUUID();
    const body = authorizeBody();
    await h.provider.behave({ outage: true });
    const down = await authorize(id, body);
    assertProblem(down, 503, 'SOUK_PAYMENTS_PROVIDER_UNAVAILABLE');
    assert.equal((await h.get(`${API}/${id}`)).json.status, 'AUTHORIZING');
    await h.provider.behave({ outage: false });
    const up = await authorize(id, body);
    assert.equal(up.status, 200, up.text);
    assert.equal(up.json.unknownOutcomes, 1);
    assert.equal((await capture(id)).status, 200);
    assert.deepEqual(await eventsOf(id), [
      'AuthorizationRequested',
      'ProviderOutcomeUnknown',
      'PaymentAuthorized',
      'PaymentCaptured',
    ]);
    const charges = await h.provider.charges(id);
    assert.deepEqual([charges.authorizations.length, charges.captures.length], [1, 1]);
  });

  test('the provider acted but the answer was lost: the retry finds the authorization by reference and asks nothing again', async () => {
    const id = randomUUID();
    const body = authorizeBody();
    await h.provider.behave({ outage: true });
    assertProblem(await authorize(id, body), 503, 'SOUK_PAYMENTS_PROVIDER_UNAVAILABLE');
    await h.provider.behave({ outage: false });
    // What a lost answer leaves behind: the provider holds an authorization for this payment.
    const made = await h.provider.post(
      '/v1/authorizations',
      { amount: 4_990, currency: 'EUR', paymentMethod: 'tok_visa', reference: id },
      `lost-${id}`,
    );
    assert.equal(made.status, 201, made.text);
    const res = await authorize(id, body);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.authorizationId, made.json.id);
    const events = (await h.get(`${API}/${id}/events`)).json.events;
    assert.deepEqual(events.at(-1).data, { authorizationId: made.json.id, reconciled: true });
    assert.equal((await h.provider.charges(id)).authorizations.length, 1);
  });
});

describe('void, capture and time', () => {
  test('void of a payment never seen, then a late authorize: refused, nothing held at the provider', async () => {
    const id = randomUUID();
    const voided = await h.post(`${API}/${id}/void`, { reason: 'order cancelled before payment' });
    assert.equal(voided.status, 200, voided.text);
    assert.deepEqual([voided.json.status, voided.json.authorizationId, voided.json.amountCents], ['VOIDED', null, null]);
    assert.equal((await h.post(`${API}/${id}/void`, { reason: 'again' })).json.version, 1, 'a repeated void changes nothing');
    assertProblem(await authorize(id, authorizeBody()), 409, 'SOUK_PAYMENTS_VOIDED');
    assert.equal((await h.provider.charges(id)).authorizations.length, 0);
    assert.deepEqual(await outbox(id), [], 'a tombstone announces nothing');
  });

  test('void of an authorized payment releases it at the provider and publishes PaymentVoided', async () => {
    const id = randomUUID();
    assert.equal((await authorize(id, authorizeBody())).status, 200);
    const res = await h.post(`${API}/${id}/cancel`, { reason: 'inventory ran out' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'VOIDED');
    assert.equal((await h.provider.charges(id)).authorizations[0].status, 'voided');
    assert.deepEqual(await outbox(id), ['souk.payments.PaymentAuthorized', 'souk.payments.PaymentVoided']);
    assertProblem(await capture(id), 409, 'SOUK_PAYMENTS_NOT_CAPTURABLE');
  });

  test('capture is idempotent, sequential or concurrent: one capture at the provider', async () => {
    const id = randomUUID();
    assert.equal((await authorize(id, authorizeBody())).status, 200);
    const answers = await Promise.all([capture(id), capture(id), capture(id)]);
    for (const a of answers) assert.equal(a.status, 200, a.text);
    const again = await capture(id);
    assert.equal(new Set([...answers, again].map((a) => a.json.captureId)).size, 1);
    assert.equal((await h.provider.charges(id)).captures.length, 1);
    assert.deepEqual(await outbox(id), ['souk.payments.PaymentAuthorized', 'souk.payments.PaymentCaptured']);
  });

  test('as of a time before the capture, the payment is authorized; from a snapshot no later than that time', async () => {
    const id = randomUUID();
    const beforeIt = new Date(h.now() - 1);
    assert.equal((await authorize(id, authorizeBody())).status, 200);
    const authorizedAt = h.now();
    h.advance(60_000);
    assert.equal((await capture(id)).status, 200);
    const then = await h.get(`${API}/${id}?asOf=${new Date(authorizedAt + 30_000).toISOString()}`);
    assert.equal(then.status, 200, then.text);
    assert.deepEqual([then.json.status, then.json.version, then.json.captureId], ['AUTHORIZED', 2, null]);
    // Snapshots every 2 events: the one at version 2 serves the past, the tail of one event the present.
    assert.deepEqual(then.json.replay, { snapshotVersion: 2, eventsApplied: 0 });
    const now = await h.get(`${API}/${id}`);
    assert.deepEqual([now.json.status, now.json.version], ['CAPTURED', 3]);
    assert.deepEqual(now.json.replay, { snapshotVersion: 2, eventsApplied: 1 });
    assertProblem(await h.get(`${API}/${id}?asOf=${beforeIt.toISOString()}`), 404, 'SOUK_PAYMENTS_NOT_FOUND');
  });

  test('refund of a captured payment: PaymentRefunded, the money back at the provider; a repeat refunds nothing more', async () => {
    const id = randomUUID();
    assert.equal((await authorize(id, authorizeBody())).status, 200);
    assert.equal((await capture(id)).status, 200);
    assertProblem(
      await h.post(`${API}/${id}/refund`, { reason: 'too much', amountCents: 5_000 }),
      422,
      'SOUK_PAYMENTS_REFUND_TOO_LARGE',
    );
    const refunded = await h.post(`${API}/${id}/refund`, { reason: 'customer returned it' });
    assert.equal(refunded.status, 200, refunded.text);
    assert.deepEqual([refunded.json.status, refunded.json.refundedCents], ['REFUNDED', 4_990]);
    assert.equal((await h.post(`${API}/${id}/cancel`, { reason: 'again' })).json.version, refunded.json.version);
    const charges = await h.provider.charges(id);
    assert.deepEqual([charges.refunds.length, charges.net], [1, 0]);
    assert.deepEqual((await outbox(id)).at(-1), 'souk.payments.PaymentRefunded');
  });
});
