// Fault injection at run time and from the environment: the admin API and its
// validation, declines, outages, and latency applied after the work (asserted
// by outcome: a client that gave up finds its authorization made anyway).

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService } from '@souk/chassis';
import { paymentProviderService } from '../src/service.ts';
import { assertProblem, call, newKey, newReference, startProvider, waitFor, type Provider } from './harness.ts';

let p: Provider;
const PATH = '/v1/_admin/behaviour';
const DEFAULTS = { latencyMs: 0, declineRate: 0, errorRate: 0, timeoutRate: 0, outage: false };

before(async () => {
  p = await startProvider('provider_behaviour');
});
afterEach(async () => {
  await call(p.svc.url, 'DELETE', PATH, { headers: { authorization: `Bearer ${p.adminKey}` } });
});
after(async () => {
  await p?.close();
});

const admin = (method: string, body?: unknown, key = p.adminKey) =>
  call(p.svc.url, method, PATH, { ...(body === undefined ? {} : { body }), headers: { authorization: `Bearer ${key}` } });
const authorizeVisa = (reference = newReference(), key = newKey()) =>
  p.post('/v1/authorizations', { amount: 1_000, currency: 'EUR', paymentMethod: 'tok_visa', reference }, { key });

/** A POST by a client that gives up after `ms` (undici raises TimeoutError when the signal fires). */
async function postGivingUpAfter(ms: number, path: string, body: unknown, key: string): Promise<'answered' | 'gave up'> {
  try {
    await fetch(`${p.svc.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${p.merchantKey}`, 'idempotency-key': key, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(ms),
    });
    return 'answered';
  } catch (err) {
    if ((err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError') return 'gave up';
    throw err;
  }
}

describe('the admin API', () => {
  test('reads the configured behaviour, changes only the named fields, and resets', async () => {
    assert.deepEqual((await admin('GET')).json, DEFAULTS);
    const changed = await admin('PATCH', { declineRate: 0.25, latencyMs: 10 });
    assert.equal(changed.status, 200, changed.text);
    assert.deepEqual(changed.json, { ...DEFAULTS, declineRate: 0.25, latencyMs: 10 });
    assert.deepEqual((await admin('GET')).json, changed.json);
    assert.deepEqual((await admin('DELETE')).json, DEFAULTS);
  });

  test('bad values are 400 and change nothing', async () => {
    for (const body of [
      { declineRate: 1.5 },
      { errorRate: -0.1 },
      { latencyMs: -1 },
      { latencyMs: 60_001 },
      { latencyMs: 1.5 },
      { outage: 'yes' },
      { unknown: 1 },
      {},
      [],
      'x',
    ]) {
      assertProblem(await admin('PATCH', body), 400, 'SOUK_REQUEST_INVALID');
    }
    assert.deepEqual((await admin('GET')).json, DEFAULTS);
  });

  test('needs the admin key: the merchant key is 403, none or a wrong one 401', async () => {
    assertProblem(await admin('PATCH', { outage: true }, p.merchantKey), 403, 'SOUK_PROVIDER_FORBIDDEN');
    assertProblem(await admin('GET', undefined, 'not-the-admin-key-at-all'), 401, 'SOUK_PROVIDER_UNAUTHENTICATED');
    assertProblem(await call(p.svc.url, 'GET', PATH), 401, 'SOUK_PROVIDER_UNAUTHENTICATED');
    assert.deepEqual((await admin('GET')).json, DEFAULTS);
  });
});

describe('injected faults', () => {
  test('declineRate 1 declines even tok_visa; back at 0 it approves', async () => {
    await p.behave({ declineRate: 1 });
    const declined = await authorizeVisa();
    assertProblem(declined, 402, 'SOUK_PROVIDER_CARD_DECLINED');
    assert.equal(declined.json.declineCode, 'card_declined');
    await p.behave({ declineRate: 0 });
    assert.equal((await authorizeVisa()).status, 201);
  });

  test('an outage answers 503 to everything but the admin API, even without a key, and does nothing', async () => {
    const reference = newReference();
    await p.behave({ outage: true });
    const down = await authorizeVisa(reference);
    assertProblem(down, 503, 'SOUK_PROVIDER_UNAVAILABLE');
    assert.equal(down.headers.get('retry-after'), '5');
    assertProblem(await p.get('/v1/authorizations'), 503, 'SOUK_PROVIDER_UNAVAILABLE');
    assertProblem(await p.get('/v1/charges?reference=x', { auth: null }), 503, 'SOUK_PROVIDER_UNAVAILABLE');
    assert.equal((await admin('GET')).json.outage, true);
    assert.equal((await call(p.svc.url, 'GET', '/health/ready')).status, 200);
    await p.behave({ outage: false });
    assert.deepEqual((await p.get(`/v1/charges?reference=${reference}`)).json.authorizations, []);
  });

  test('latency comes after the work: a client that gave up finds its authorization made, and the retry gets it at once', async () => {
    const reference = newReference();
    const key = newKey();
    const body = { amount: 1_000, currency: 'EUR', paymentMethod: 'tok_visa', reference };
    await p.behave({ latencyMs: 5_000 });
    assert.equal(await postGivingUpAfter(300, '/v1/authorizations', body, key), 'gave up');
    const [made] = await waitFor(
      async () => {
        const { data } = (await p.get(`/v1/authorizations?reference=${reference}`)).json;
        return data.length > 0 ? data : undefined;
      },
      { what: 'the authorization of the abandoned call' },
    );
    assert.equal(made.status, 'authorized');
    // The retry with the same key is answered from the stored result, without the latency.
    assert.equal(await postGivingUpAfter(3_000, '/v1/authorizations', body, key), 'answered');
    const retry = await p.post('/v1/authorizations', body, { key });
    assert.equal(retry.status, 201);
    assert.equal(retry.json.id, made.id);
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    assert.equal((await p.get(`/v1/charges?reference=${reference}`)).json.authorizations.length, 1);
  });

  test('timeoutRate 1 does the work and holds the answer past any client timeout', async () => {
    const auth = (await authorizeVisa()).json;
    await p.behave({ timeoutRate: 1 });
    assert.equal(await postGivingUpAfter(500, `/v1/authorizations/${auth.id}/capture`, {}, newKey()), 'gave up');
    await waitFor(async () => (await p.get(`/v1/authorizations/${auth.id}`)).json.status === 'captured', {
      what: 'the capture to be made',
    });
  });
});

describe('configuration', () => {
  test('PAYMENT_PROVIDER_* set the starting behaviour', async () => {
    const other = await startProvider('provider_env', {
      PAYMENT_PROVIDER_OUTAGE: 'true',
      PAYMENT_PROVIDER_DECLINE_RATE: '0.5',
      PAYMENT_PROVIDER_LATENCY_MS: '20',
    });
    try {
      assertProblem(await other.get('/v1/authorizations'), 503, 'SOUK_PROVIDER_UNAVAILABLE');
      const behaviour = (await call(other.svc.url, 'GET', PATH, { headers: { authorization: `Bearer ${other.adminKey}` } })).json;
      assert.deepEqual(behaviour, { ...DEFAULTS, outage: true, declineRate: 0.5, latencyMs: 20 });
    } finally {
      await other.close();
    }
  });

  test('a missing key file, a short key or one key for both refuse to start, naming the variable', async () => {
    const env = { DATABASE_URL: p.database.url, LOG_LEVEL: 'silent' };
    const dir = await mkdtemp(join(tmpdir(), 'souk-provider-keys-'));
    try {
      const good = join(dir, 'good');
      await writeFile(good, 'k'.repeat(32));
      await writeFile(join(dir, 'short'), 'short\n');
      await writeFile(join(dir, 'other'), 'o'.repeat(32));
      const start = (api: string, adminKey: string) =>
        startService(paymentProviderService, {
          env: { ...env, PAYMENT_PROVIDER_API_KEY_FILE: api, PAYMENT_PROVIDER_ADMIN_KEY_FILE: adminKey },
        });
      await assert.rejects(start(join(dir, 'missing'), join(dir, 'other')), /PAYMENT_PROVIDER_API_KEY_FILE: cannot read/);
      await assert.rejects(start(good, join(dir, 'short')), /PAYMENT_PROVIDER_ADMIN_KEY_FILE: the key must be at least 16/);
      await assert.rejects(start(good, good), /PAYMENT_PROVIDER_ADMIN_KEY_FILE: the admin key must differ/);
      await assert.rejects(startService(paymentProviderService, { env }), /PAYMENT_PROVIDER_API_KEY_FILE/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
