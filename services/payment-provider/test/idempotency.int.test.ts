// Idempotency-Key semantics: a repeat gets the stored answer (same status and
// body) and does nothing twice; another request under the key is 422; a
// duplicate while the first is still working waits for its answer; a failure
// stores nothing; a claim left in flight by an older version is taken over.

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
  test('a duplicate while the first is still working waits for it and gets its answer, and authorizes once', async () => {
    const key = newKey();
    const request = body();
    await withClient(async (blocker) => {
      // Holding a lock on the table keeps both requests waiting inside their statement: whichever records the
      // key first makes the authorization, the other one waits for it and replays its answer.
      await blocker.query('begin');
      await blocker.query('lock table authorizations in exclusive mode');
      // Looked at from another connection: a transaction sees pg_stat_activity as of its first look.
      const waiting = async (n: number) => {
        const { rows } = await withClient((c) =>
          c.query<{ n: number }>(
            `select count(*)::int as n from pg_stat_activity
             where datname = current_database() and wait_event_type = 'Lock' and query ilike '%idempotency_keys%'`,
          ),
        );
        return rows[0]!.n >= n;
      };
      const first = p.post('/v1/authorizations', request, { key });
      await waitFor(() => waiting(1), { what: 'the first request to wait for the table' });
      const duplicate = p.post('/v1/authorizations', request, { key });
      await waitFor(() => waiting(2), { what: 'the duplicate to wait too' });
      await blocker.query('commit');
      const answers = await Promise.all([first, duplicate]);
      for (const a of answers) assert.equal(a.status, 201, a.text);
      assert.equal(answers[0].text, answers[1].text);
      assert.deepEqual(answers.map((a) => a.headers.get('idempotent-replayed') ?? 'no').sort(), ['no', 'true']);
    });
    assert.equal((await chargesOf(request.reference)).authorizations.length, 1);
  });

  test('a capture whose answer is recorded by a duplicate meanwhile is replayed, and captures once', async () => {
    const auth = await authorize(p);
    const key = newKey();
    await withClient(async (blocker) => {
      // The blocker holds the authorization's row: both captures wait for it, the second behind the first.
      await blocker.query('begin');
      await blocker.query('select 1 from authorizations where id = $1 for update', [auth.id]);
      const first = p.post(`/v1/authorizations/${auth.id}/capture`, {}, { key });
      const second = p.post(`/v1/authorizations/${auth.id}/capture`, {}, { key });
      await waitFor(
        async () => {
          const { rows } = await withClient((c) =>
            c.query<{ n: number }>(
              `select count(*)::int as n from pg_stat_activity
               where datname = current_database() and wait_event_type = 'Lock' and query ilike '%for update%'`,
            ),
          );
          return rows[0]!.n >= 2;
        },
        { what: 'both captures to wait for the authorization' },
      );
      await blocker.query('commit');
      const [a, b] = await Promise.all([first, second]);
      assert.equal(a.status, 200, a.text);
      assert.equal(b.status, 200, b.text);
      assert.equal(a.text, b.text);
      assert.deepEqual([a, b].map((r) => r.headers.get('idempotent-replayed') ?? 'no').sort(), ['no', 'true']);
    });
    const charges = (await chargesOf(auth.reference)) as { captures: unknown[]; amountCaptured: number };
    assert.equal(charges.captures.length, 1);
    assert.equal(charges.amountCaptured, auth.amount);
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

  test('a claim left in flight (by a version that claimed before the work) is taken over once its lock has expired', async () => {
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
