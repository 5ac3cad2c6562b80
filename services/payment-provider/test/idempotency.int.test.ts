// Idempotency-Key semantics: a repeat gets the stored answer (same status and
// body) and does nothing twice; another request under the key is 422; a
// duplicate while the first is still working is 409; a failure before the
// work stores nothing; a claim left by a dead process is taken over.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { fingerprint } from '../src/idempotency/idempotency-store.ts';
import { assertProblem, authorize, newKey, newReference, startProvider, waitFor, type Provider } from './harness.ts';

let p: Provider;

before(async () => {
  p = await startProvider('provider_idempotency');
});
after(async () => {
  await p?.close();
});

const body = (reference = newReference(), paymentMethod = 'tok_visa') => ({
  amount: 1_999,
  currency: 'EUR',
  paymentMethod,
  reference,
});
const chargesOf = async (reference: string) => (await p.get(`/v1/charges?reference=${reference}`)).json;

async function withClient<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: p.database.url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

describe('repeats', () => {
  test('the same request with the same key gets the stored answer, byte for byte, and authorizes once', async () => {
    const key = newKey();
    const request = body();
    const first = await p.post('/v1/authorizations', request, { key });
    assert.equal(first.status, 201, first.text);
    assert.equal(first.headers.get('idempotent-replayed'), null);
    // The same fields in another order are the same request.
    const reordered = Object.fromEntries(Object.entries(request).reverse());
    for (const again of [request, reordered]) {
      const repeat = await p.post('/v1/authorizations', again, { key });
      assert.equal(repeat.status, 201);
      assert.equal(repeat.text, first.text);
      assert.equal(repeat.headers.get('idempotent-replayed'), 'true');
    }
    assert.equal((await chargesOf(request.reference)).authorizations.length, 1);
  });

  test('a decline is replayed as the same 402, without a second attempt', async () => {
    const key = newKey();
    const request = body(newReference(), 'tok_decline');
    const first = await p.post('/v1/authorizations', request, { key });
    assertProblem(first, 402, 'SOUK_PROVIDER_CARD_DECLINED');
    const repeat = await p.post('/v1/authorizations', request, { key });
    assert.equal(repeat.status, 402);
    assert.equal(repeat.text, first.text);
    assert.match(repeat.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal((await chargesOf(request.reference)).authorizations.length, 1);
  });

  test('a capture retried with its key captures once; a refused request is replayed as refused', async () => {
    const auth = await authorize(p, 3_000);
    const key = newKey();
    const first = await p.post(`/v1/authorizations/${auth.id}/capture`, undefined, { key });
    // No body and {} are the same request.
    const repeat = await p.post(`/v1/authorizations/${auth.id}/capture`, {}, { key });
    assert.equal(first.status, 200, first.text);
    assert.equal(repeat.text, first.text);
    assert.equal((await chargesOf(auth.reference)).captures.length, 1);

    const missingKey = newKey();
    const refused = await p.post('/v1/authorizations/auth_nothere/capture', undefined, { key: missingKey });
    assertProblem(refused, 404, 'SOUK_PROVIDER_AUTHORIZATION_NOT_FOUND');
    const refusedAgain = await p.post('/v1/authorizations/auth_nothere/capture', undefined, { key: missingKey });
    assert.equal(refusedAgain.text, refused.text);
    assert.equal(refusedAgain.headers.get('idempotent-replayed'), 'true');
  });

  test('the key with another body or another endpoint is 422 and does nothing', async () => {
    const key = newKey();
    const request = body();
    assert.equal((await p.post('/v1/authorizations', request, { key })).status, 201);
    const otherBody = await p.post('/v1/authorizations', { ...request, amount: 2_000 }, { key });
    assertProblem(otherBody, 422, 'SOUK_PROVIDER_IDEMPOTENCY_KEY_REUSED');
    assert.equal(otherBody.json.idempotencyKey, key);
    const [auth] = (await chargesOf(request.reference)).authorizations;
    assertProblem(
      await p.post(`/v1/authorizations/${auth.id}/void`, undefined, { key }),
      422,
      'SOUK_PROVIDER_IDEMPOTENCY_KEY_REUSED',
    );
    assert.equal((await p.get(`/v1/authorizations/${auth.id}`)).json.status, 'authorized');
    assert.equal((await chargesOf(request.reference)).authorizations.length, 1);
  });
});

describe('concurrency and failures', () => {
  test('a duplicate while the first is still working is 409 (retryable); afterwards it gets the result', async () => {
    const key = newKey();
    const request = body();
    await withClient(async (blocker) => {
      // Holding a lock on the table keeps the first request inside its work, after it claimed the key.
      await blocker.query('begin');
      await blocker.query('lock table authorizations in exclusive mode');
      const first = p.post('/v1/authorizations', request, { key });
      await waitFor(
        async () => {
          const { rows } = await withClient((c) => c.query(`select state from idempotency_keys where key = $1`, [key]));
          return rows[0]?.state === 'in_flight';
        },
        { what: 'the first request to claim its key' },
      );
      const duplicate = await p.post('/v1/authorizations', request, { key });
      assertProblem(duplicate, 409, 'SOUK_PROVIDER_IDEMPOTENCY_KEY_IN_USE');
      assert.equal(duplicate.headers.get('retry-after'), '1');
      await blocker.query('commit');
      const done = await first;
      assert.equal(done.status, 201, done.text);
      const later = await p.post('/v1/authorizations', request, { key });
      assert.equal(later.text, done.text);
    });
    assert.equal((await chargesOf(request.reference)).authorizations.length, 1);
  });

  test('an injected error stores nothing: the retry with the same key does the work', async () => {
    const key = newKey();
    const request = body();
    await p.behave({ errorRate: 1 });
    try {
      const failed = await p.post('/v1/authorizations', request, { key });
      assertProblem(failed, 500, 'SOUK_PROVIDER_PROCESSING_ERROR');
      assert.equal((await chargesOf(request.reference)).authorizations.length, 0);
    } finally {
      await p.behave({ errorRate: 0 });
    }
    const retried = await p.post('/v1/authorizations', request, { key });
    assert.equal(retried.status, 201, retried.text);
    assert.equal(retried.headers.get('idempotent-replayed'), null);
  });

  test('a claim left in flight by a process that died is taken over once its lock has expired', async () => {
    const request = body();
    const stale = newKey();
    const fresh = newKey();
    await withClient(async (c) => {
      const insert = `insert into idempotency_keys (key, fingerprint, state, locked_until, created_at) values ($1, $2, 'in_flight', now() + $3::interval, now())`;
      // Only the same request may take over a stale claim, so the rows carry its fingerprint.
      const fp = fingerprint('POST', '/v1/authorizations', request);
      await c.query(insert, [stale, fp, '-1 minute']);
      await c.query(insert, [fresh, fp, '1 minute']);
    });
    assertProblem(await p.post('/v1/authorizations', request, { key: fresh }), 409, 'SOUK_PROVIDER_IDEMPOTENCY_KEY_IN_USE');
    const taken = await p.post('/v1/authorizations', request, { key: stale });
    assert.equal(taken.status, 201, taken.text);
  });
});
