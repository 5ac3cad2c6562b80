// The processor's API end to end: authorize (approve, decline), capture, void,
// refund and the reads, with their rules, validation and API keys.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertProblem, authorize, call, newReference, startProvider, type Provider } from './harness.ts';

let p: Provider;

before(async () => {
  p = await startProvider('provider_api');
});
after(async () => {
  await p?.close();
});

const authorizeWith = (paymentMethod: string, reference = newReference(), amount = 2_500) =>
  p.post('/v1/authorizations', { amount, currency: 'EUR', paymentMethod, reference });

describe('authorizations', () => {
  test('tok_visa is authorized: 201 with the authorization, readable by id and by reference', async () => {
    const reference = newReference();
    const res = await authorizeWith('tok_visa', reference, 4_200);
    assert.equal(res.status, 201, res.text);
    const auth = res.json;
    assert.match(auth.id, /^auth_[A-Za-z0-9]{24}$/);
    assert.equal(auth.status, 'authorized');
    assert.equal(auth.amount, 4_200);
    assert.equal(auth.currency, 'EUR');
    assert.equal(auth.reference, reference);
    assert.equal(auth.declineCode, null);
    assert.equal(auth.captureId, null);
    assert.ok(!Number.isNaN(Date.parse(auth.createdAt)));
    assert.deepEqual((await p.get(`/v1/authorizations/${auth.id}`)).json, auth);
    assert.deepEqual((await p.get(`/v1/authorizations?reference=${reference}`)).json, { data: [auth] });
  });

  test('declining cards answer 402 with the processor-style reason, and the attempt is kept', async () => {
    for (const [method, declineCode] of [
      ['tok_decline', 'card_declined'],
      ['tok_insufficient_funds', 'insufficient_funds'],
      ['tok_expired', 'expired_card'],
      ['tok_unknown', 'invalid_payment_method'],
    ]) {
      const reference = newReference();
      const res = await authorizeWith(method!, reference);
      assertProblem(res, 402, 'SOUK_PROVIDER_CARD_DECLINED');
      assert.equal(res.json.declineCode, declineCode);
      assert.match(res.json.authorizationId, /^auth_/);
      const [attempt] = (await p.get(`/v1/authorizations?reference=${reference}`)).json.data;
      assert.equal(attempt.id, res.json.authorizationId);
      assert.equal(attempt.status, 'declined');
      assert.equal(attempt.declineCode, declineCode);
    }
  });

  test('bad bodies are 400 and nothing is authorized', async () => {
    const reference = newReference();
    const good = { amount: 100, currency: 'EUR', paymentMethod: 'tok_visa', reference };
    for (const body of [
      { ...good, amount: 0 },
      { ...good, amount: 1.5 },
      { ...good, amount: '100' },
      { ...good, amount: 100_000_001 },
      { ...good, currency: 'eur' },
      { ...good, paymentMethod: '4242424242424242' },
      { ...good, reference: '' },
      { ...good, extra: true },
      { amount: 100, currency: 'EUR', paymentMethod: 'tok_visa' },
    ]) {
      assertProblem(await p.post('/v1/authorizations', body), 400, 'SOUK_REQUEST_INVALID');
    }
    assert.deepEqual((await p.get(`/v1/authorizations?reference=${reference}`)).json.data, []);
  });

  test('the list is newest first and honours limit; an unknown id is 404, a malformed one 400', async () => {
    const reference = newReference();
    const first = await authorize(p, 100, reference);
    const second = await authorize(p, 200, reference);
    assert.deepEqual(
      (await p.get(`/v1/authorizations?reference=${reference}`)).json.data.map((a: { id: string }) => a.id),
      [second.id, first.id],
    );
    assert.equal((await p.get('/v1/authorizations?limit=1')).json.data.length, 1);
    assertProblem(await p.get('/v1/authorizations?limit=0'), 400, 'SOUK_REQUEST_INVALID');
    assertProblem(await p.get('/v1/authorizations/auth_doesNotExist'), 404, 'SOUK_PROVIDER_AUTHORIZATION_NOT_FOUND');
    assertProblem(await p.get('/v1/authorizations/nope'), 400, 'SOUK_REQUEST_INVALID');
  });
});

describe('capture, void, refund', () => {
  test('capture without a body takes the whole amount; a second capture is refused', async () => {
    const auth = await authorize(p, 5_000);
    const res = await p.post(`/v1/authorizations/${auth.id}/capture`);
    assert.equal(res.status, 200, res.text);
    assert.match(res.json.id, /^cap_/);
    assert.deepEqual(
      { ...res.json, id: undefined, createdAt: undefined },
      { id: undefined, createdAt: undefined, authorizationId: auth.id, amount: 5_000, currency: 'EUR', status: 'captured' },
    );
    const after = (await p.get(`/v1/authorizations/${auth.id}`)).json;
    assert.equal(after.status, 'captured');
    assert.equal(after.amountCaptured, 5_000);
    assert.equal(after.captureId, res.json.id);
    const again = await p.post(`/v1/authorizations/${auth.id}/capture`, {});
    assertProblem(again, 409, 'SOUK_PROVIDER_NOT_CAPTURABLE');
    assert.equal(again.json.authorizationStatus, 'captured');
  });

  test('a partial capture takes less; more than authorized is refused', async () => {
    const auth = await authorize(p, 5_000);
    assertProblem(
      await p.post(`/v1/authorizations/${auth.id}/capture`, { amount: 5_001 }),
      409,
      'SOUK_PROVIDER_AMOUNT_EXCEEDS_AUTHORIZED',
    );
    const res = await p.post(`/v1/authorizations/${auth.id}/capture`, { amount: 3_000 });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.amount, 3_000);
    assertProblem(await p.post(`/v1/authorizations/${auth.id}/capture`, { amount: -1 }), 400, 'SOUK_REQUEST_INVALID');
  });

  test('capture of a declined or unknown authorization is refused', async () => {
    const declined = await authorizeWith('tok_decline');
    const captured = await p.post(`/v1/authorizations/${declined.json.authorizationId}/capture`);
    assertProblem(captured, 409, 'SOUK_PROVIDER_NOT_CAPTURABLE');
    assert.equal(captured.json.authorizationStatus, 'declined');
    assertProblem(await p.post('/v1/authorizations/auth_missing/capture'), 404, 'SOUK_PROVIDER_AUTHORIZATION_NOT_FOUND');
  });

  test('void releases an uncaptured authorization; it can then be neither captured nor voided again', async () => {
    const auth = await authorize(p, 1_000);
    const res = await p.post(`/v1/authorizations/${auth.id}/void`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.id, auth.id);
    assert.equal(res.json.status, 'voided');
    assertProblem(await p.post(`/v1/authorizations/${auth.id}/capture`), 409, 'SOUK_PROVIDER_NOT_CAPTURABLE');
    assertProblem(await p.post(`/v1/authorizations/${auth.id}/void`), 409, 'SOUK_PROVIDER_NOT_VOIDABLE');
    assertProblem(await p.post(`/v1/authorizations/${auth.id}/void`, { reason: 'x' }), 400, 'SOUK_REQUEST_INVALID');
  });

  test('a captured authorization cannot be voided: it needs a refund', async () => {
    const auth = await authorize(p, 1_000);
    await p.post(`/v1/authorizations/${auth.id}/capture`);
    const res = await p.post(`/v1/authorizations/${auth.id}/void`);
    assertProblem(res, 409, 'SOUK_PROVIDER_NOT_VOIDABLE');
    assert.match(res.json.detail, /refund/);
  });

  test('refunds add up to at most the capture; the default refunds what is left', async () => {
    const reference = newReference();
    const auth = await authorize(p, 5_000, reference);
    const capture = (await p.post(`/v1/authorizations/${auth.id}/capture`, { amount: 4_000 })).json;
    const partial = await p.post('/v1/refunds', { captureId: capture.id, amount: 1_500, reason: 'requested_by_customer' });
    assert.equal(partial.status, 201, partial.text);
    assert.match(partial.json.id, /^re_/);
    assert.equal(partial.json.amount, 1_500);
    assert.equal(partial.json.reason, 'requested_by_customer');
    assert.equal(partial.json.status, 'refunded');
    const tooMuch = await p.post('/v1/refunds', { captureId: capture.id, amount: 2_501 });
    assertProblem(tooMuch, 409, 'SOUK_PROVIDER_AMOUNT_EXCEEDS_CAPTURED');
    assert.equal(tooMuch.json.refundable, 2_500);
    const rest = await p.post('/v1/refunds', { captureId: capture.id });
    assert.equal(rest.json.amount, 2_500);
    assert.equal(rest.json.reason, null);
    assertProblem(await p.post('/v1/refunds', { captureId: capture.id }), 409, 'SOUK_PROVIDER_AMOUNT_EXCEEDS_CAPTURED');
    assertProblem(await p.post('/v1/refunds', { captureId: 'cap_missing' }), 404, 'SOUK_PROVIDER_CAPTURE_NOT_FOUND');
    assertProblem(await p.post('/v1/refunds', { captureId: auth.id }), 400, 'SOUK_REQUEST_INVALID');
    assert.equal((await p.get(`/v1/authorizations/${auth.id}`)).json.amountRefunded, 4_000);
  });

  test('charges list what happened to the money of a reference, with totals', async () => {
    const reference = newReference();
    await authorizeWith('tok_decline', reference);
    const auth = await authorize(p, 3_000, reference);
    const capture = (await p.post(`/v1/authorizations/${auth.id}/capture`)).json;
    const refund = (await p.post('/v1/refunds', { captureId: capture.id, amount: 1_000 })).json;
    const res = await p.get(`/v1/charges?reference=${reference}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.reference, reference);
    assert.deepEqual(
      res.json.authorizations.map((a: { status: string }) => a.status),
      ['declined', 'captured'],
    );
    assert.deepEqual(res.json.captures, [capture]);
    assert.deepEqual(res.json.refunds, [refund]);
    assert.equal(res.json.amountCaptured, 3_000);
    assert.equal(res.json.amountRefunded, 1_000);
    assert.equal(res.json.net, 2_000);
    const none = (await p.get(`/v1/charges?reference=${newReference()}`)).json;
    assert.deepEqual([none.authorizations, none.captures, none.refunds, none.net], [[], [], [], 0]);
    assertProblem(await p.get('/v1/charges'), 400, 'SOUK_REQUEST_INVALID');
  });
});

describe('API keys and Idempotency-Key', () => {
  test('no key, a wrong key or the admin key on the merchant API is 401', async () => {
    for (const auth of [null, 'sk_test_wrong_wrong_wrong', p.adminKey]) {
      const res = await p.get('/v1/authorizations', { auth });
      assertProblem(res, 401, 'SOUK_PROVIDER_UNAUTHENTICATED');
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
      assertProblem(await p.post('/v1/authorizations', {}, { auth }), 401, 'SOUK_PROVIDER_UNAUTHENTICATED');
    }
    assertProblem(
      await call(p.svc.url, 'GET', '/v1/authorizations', { headers: { authorization: `Basic ${p.merchantKey}` } }),
      401,
      'SOUK_PROVIDER_UNAUTHENTICATED',
    );
  });

  test('every POST needs a well-formed Idempotency-Key', async () => {
    const body = { amount: 100, currency: 'EUR', paymentMethod: 'tok_visa', reference: newReference() };
    assertProblem(await p.post('/v1/authorizations', body, { key: null }), 400, 'SOUK_PROVIDER_IDEMPOTENCY_KEY_MISSING');
    assertProblem(
      await p.post('/v1/authorizations', body, { key: 'x'.repeat(256) }),
      400,
      'SOUK_PROVIDER_IDEMPOTENCY_KEY_INVALID',
    );
    assertProblem(await p.post('/v1/authorizations', body, { key: 'has space' }), 400, 'SOUK_PROVIDER_IDEMPOTENCY_KEY_INVALID');
    assertProblem(
      await p.post('/v1/refunds', { captureId: 'cap_x' }, { key: null }),
      400,
      'SOUK_PROVIDER_IDEMPOTENCY_KEY_MISSING',
    );
    assert.deepEqual((await p.get(`/v1/authorizations?reference=${body.reference}`)).json.data, []);
  });
});
