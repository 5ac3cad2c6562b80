// The payments API's edges: who may call it, bad input as 4xx problems, the
// ledger and order listings, and the read model rebuilt from the log alone
// equal to the one kept live.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Capability } from '@souk/chassis';
import { API, assertProblem, authorizeBody, PAYMENT_CAPABILITIES, startPayments, type Harness } from './harness.ts';

let h: Harness;

before(async () => {
  h = await startPayments('payments_api');
});
after(async () => {
  await h?.close();
});

describe('who may call', () => {
  test('no token: 401 before the input is looked at; a customer or an admin without the scope: 403', async () => {
    const id = randomUUID();
    assertProblem(await h.post(`${API}/${id}/authorize`, authorizeBody(), null), 401, 'SOUK_AUTH_TOKEN_MISSING');
    assertProblem(await h.post(`${API}/not-a-uuid/authorize`, { nonsense: true }, null), 401, 'SOUK_AUTH_TOKEN_MISSING');
    assertProblem(await h.get(`${API}/${id}`, null), 401, 'SOUK_AUTH_TOKEN_MISSING');
    assertProblem(await h.get(`${API}/${id}`, await h.issuer.token()), 403, 'SOUK_AUTH_FORBIDDEN');
    assertProblem(await h.post(`${API}/${id}/capture`, undefined, h.adminToken), 403, 'SOUK_AUTH_FORBIDDEN');
  });

  test('the rebuild is for admins only', async () => {
    assertProblem(await h.post('/_admin/payments/rebuild', undefined, null), 401, 'SOUK_AUTH_TOKEN_MISSING');
    assertProblem(await h.post('/_admin/payments/rebuild', undefined, h.serviceToken), 403, 'SOUK_AUTH_FORBIDDEN');
  });

  test('each route needs its own capability: every other payments scope (and feed scope) gets 403, its own passes', async () => {
    const id = randomUUID();
    const orderId = randomUUID();
    const routes: { capability: Capability; send(token: string): ReturnType<Harness['get']> }[] = [
      { capability: 'payments:authorize', send: (t) => h.post(`${API}/${id}/authorize`, authorizeBody({ orderId }), t) },
      { capability: 'payments:read', send: (t) => h.get(`${API}/${id}`, t) },
      { capability: 'payments:read', send: (t) => h.get(`${API}/${id}/events`, t) },
      { capability: 'payments:read', send: (t) => h.get(`${API}?orderId=${orderId}`, t) },
      { capability: 'payments:capture', send: (t) => h.post(`${API}/${id}/capture`, undefined, t) },
      { capability: 'payments:refund', send: (t) => h.post(`${API}/${id}/refund`, { reason: 'returned' }, t) },
      { capability: 'payments:void', send: (t) => h.post(`${API}/${randomUUID()}/void`, { reason: 'gone' }, t) },
      { capability: 'payments:cancel', send: (t) => h.post(`${API}/${id}/cancel`, { reason: 'gone', orderId }, t) },
    ];
    const tokenWith = (scopes: string[]) => h.issuer.token({ sub: 'svc-someone', roles: [], scopes });
    for (const { capability, send } of routes) {
      const others = PAYMENT_CAPABILITIES.filter((c) => c !== capability);
      const wrong = await send(await tokenWith([...others, 'events:read:payments', 'orders:read']));
      assertProblem(wrong, 403, 'SOUK_AUTH_FORBIDDEN');
      assert.match(wrong.json.detail, new RegExp(capability));
      const right = await send(await tokenWith([capability]));
      assert.equal(right.status, 200, `${capability}: ${right.text}`);
    }
  });
});

describe('bad input is a 4xx problem, never a 5xx', () => {
  test('ids, bodies and times that do not fit', async () => {
    const id = randomUUID();
    assertProblem(await h.post(`${API}/not-a-uuid/authorize`, authorizeBody()), 400, 'SOUK_REQUEST_INVALID');
    for (const bad of [
      {},
      authorizeBody({ amountCents: 0 }),
      authorizeBody({ amountCents: 1.5 }),
      authorizeBody({ amountCents: 100_000_001 }),
      authorizeBody({ currency: 'eur' }),
      authorizeBody({ paymentMethod: 'visa' }),
      authorizeBody({ orderId: 'x' }),
      authorizeBody({ extra: 1 }),
    ]) {
      assertProblem(await h.post(`${API}/${id}/authorize`, bad), 400, 'SOUK_REQUEST_INVALID');
    }
    assertProblem(await h.post(`${API}/${id}/void`, {}), 400, 'SOUK_REQUEST_INVALID');
    assertProblem(await h.post(`${API}/${id}/void`, { reason: '   ' }), 400, 'SOUK_REQUEST_INVALID');
    assertProblem(await h.post(`${API}/${id}/refund`, { reason: 'x', amountCents: -5 }), 400, 'SOUK_REQUEST_INVALID');
    assertProblem(await h.get(`${API}/${id}?asOf=yesterday`), 400, 'SOUK_REQUEST_INVALID');
    assertProblem(await h.get(`${API}/${id}?asOf=2024-01-01T23:59:60Z`), 400, 'SOUK_REQUEST_INVALID');
    assertProblem(await h.get(`${API}?orderId=nope`), 400, 'SOUK_REQUEST_INVALID');
  });

  test('unknown payments: 404 to read, capture or refund', async () => {
    const id = randomUUID();
    assertProblem(await h.get(`${API}/${id}`), 404, 'SOUK_PAYMENTS_NOT_FOUND');
    assertProblem(await h.get(`${API}/${id}/events`), 404, 'SOUK_PAYMENTS_NOT_FOUND');
    assertProblem(await h.post(`${API}/${id}/capture`), 404, 'SOUK_PAYMENTS_NOT_FOUND');
    assertProblem(await h.post(`${API}/${id}/refund`, { reason: 'x' }), 404, 'SOUK_PAYMENTS_NOT_FOUND');
  });

  test('operations the state does not allow: 409 with the status', async () => {
    const id = randomUUID();
    assert.equal((await h.post(`${API}/${id}/authorize`, authorizeBody())).status, 200);
    const refund = await h.post(`${API}/${id}/refund`, { reason: 'x' });
    assertProblem(refund, 409, 'SOUK_PAYMENTS_NOT_REFUNDABLE');
    assert.equal(refund.json.paymentStatus, 'AUTHORIZED');
    assert.equal((await h.post(`${API}/${id}/capture`)).status, 200);
    assertProblem(await h.post(`${API}/${id}/void`, { reason: 'x' }), 409, 'SOUK_PAYMENTS_NOT_VOIDABLE');
  });
});

describe('reading the ledger', () => {
  test('the events of a payment carry their metadata; an order lists its payments', async () => {
    const body = authorizeBody();
    const first = randomUUID();
    const second = randomUUID();
    assertProblem(
      await h.post(`${API}/${first}/authorize`, { ...body, paymentMethod: 'tok_decline' }),
      402,
      'SOUK_PAYMENTS_DECLINED',
    );
    assert.equal((await h.post(`${API}/${second}/authorize`, body)).status, 200);
    const ledger = await h.get(`${API}/${second}/events`);
    assert.equal(ledger.status, 200);
    assert.deepEqual(
      ledger.json.events.map((e: { version: number }) => e.version),
      [1, 2],
    );
    const meta = ledger.json.events[0].metadata;
    assert.equal(meta.correlationId, body.orderId);
    assert.match(meta.causationId, /^request:/);
    assert.match(meta.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    assert.equal(ledger.json.events[1].metadata.correlationId, body.orderId);
    const listed = await h.get(`${API}?orderId=${body.orderId}`);
    assert.deepEqual(
      listed.json.items.map((p: { id: string; status: string }) => [p.id, p.status]),
      [
        [first, 'FAILED'],
        [second, 'AUTHORIZED'],
      ],
    );
  });
});

describe('the read model', () => {
  test('rebuilt from the log alone, it equals the one kept live (and repairs a damaged one)', async () => {
    // Payments in every state.
    const captured = randomUUID();
    const refunded = randomUUID();
    assert.equal((await h.post(`${API}/${captured}/authorize`, authorizeBody())).status, 200);
    assert.equal((await h.post(`${API}/${captured}/capture`)).status, 200);
    assert.equal((await h.post(`${API}/${refunded}/authorize`, authorizeBody({ amountCents: 1_234 }))).status, 200);
    assert.equal((await h.post(`${API}/${refunded}/capture`)).status, 200);
    assert.equal((await h.post(`${API}/${refunded}/refund`, { reason: 'returned', amountCents: 1_000 })).status, 200);
    assert.equal((await h.post(`${API}/${randomUUID()}/void`, { reason: 'tombstone', orderId: randomUUID() })).status, 200);
    assert.equal((await h.post(`${API}/${randomUUID()}/authorize`, authorizeBody({ paymentMethod: 'tok_expired' }))).status, 402);

    const table = () => h.query('select * from payments order by id');
    const live = await table();
    assert.ok(live.length >= 4);
    await h.query(`update payments set status = 'AUTHORIZED', captured_cents = 0 where id = $1`, [captured]);
    await h.query(`delete from payments where id = $1`, [refunded]);

    const res = await h.post('/_admin/payments/rebuild', undefined, h.adminToken);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.payments, live.length);
    const { n } = (await h.query<{ n: number }>('select count(*)::int as n from souk_event'))[0]!;
    assert.equal(res.json.events, n);
    assert.deepEqual(await table(), live);
  });
});
