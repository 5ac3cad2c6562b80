import assert from 'node:assert/strict';
import { test } from 'node:test';
import { basicCredentials, cachedServiceToken } from './service-token.ts';

function fakeEndpoint(expiresIn = 300) {
  let issued = 0;
  let pending: Array<() => void> = [];
  return {
    get issued() {
      return issued;
    },
    release() {
      for (const r of pending) r();
      pending = [];
    },
    fetchToken: () =>
      new Promise<{ access_token: string; expires_in: number }>((resolve) => {
        pending.push(() => resolve({ access_token: `t${++issued}`, expires_in: expiresIn }));
      }),
  };
}

test('one fetch serves concurrent callers, and the token is reused until shortly before it expires', async () => {
  let now = 0;
  const endpoint = fakeEndpoint(300);
  const tokens = cachedServiceToken({ fetchToken: endpoint.fetchToken, now: () => now });
  const both = Promise.all([tokens.source(), tokens.source()]);
  endpoint.release();
  assert.deepEqual(await both, ['t1', 't1']);
  now = 239_000; // refresh at 300 s - 60 s
  assert.equal(await tokens.source(), 't1');
  now = 240_000;
  const next = tokens.source();
  endpoint.release();
  assert.equal(await next, 't2');
  assert.equal(endpoint.issued, 2);
});

test('invalidate makes the next call fetch a new token', async () => {
  const endpoint = fakeEndpoint();
  const tokens = cachedServiceToken({ fetchToken: endpoint.fetchToken, now: () => 0 });
  const first = tokens.source();
  endpoint.release();
  assert.equal(await first, 't1');
  tokens.invalidate();
  const second = tokens.source();
  endpoint.release();
  assert.equal(await second, 't2');
});

test('a failed fetch is not cached: the next call tries again', async () => {
  let calls = 0;
  const tokens = cachedServiceToken({
    now: () => 0,
    fetchToken: async () => {
      calls++;
      if (calls === 1) throw new Error('identity down');
      return { access_token: 'ok', expires_in: 60 };
    },
  });
  await assert.rejects(tokens.source(), /identity down/);
  assert.equal(await tokens.source(), 'ok');
});

test('an answer without access_token is refused with a stable code', async () => {
  const tokens = cachedServiceToken({ now: () => 0, fetchToken: async () => ({ access_token: '' }) });
  await assert.rejects(tokens.source(), (err: { code?: string }) => err.code === 'SOUK_CLIENT_SERVICE_TOKEN_UNAVAILABLE');
});

test('client_secret_basic form-encodes id and secret before base64 (RFC 6749 2.3.1)', () => {
  const header = basicCredentials('svc-orders', 'a b:c');
  assert.equal(Buffer.from(header.slice('Basic '.length), 'base64').toString(), 'svc-orders:a+b%3Ac');
});

test('refusals of a token already replaced do not drop its replacement: one new fetch for a burst of 401s', async () => {
  const endpoint = fakeEndpoint();
  const tokens = cachedServiceToken({ fetchToken: endpoint.fetchToken, now: () => 0 });
  const first = tokens.source();
  endpoint.release();
  const refused = await first;
  // Ten calls were in flight with t1 and are all refused; the first refusal gets t2 fetched.
  tokens.invalidate(refused);
  const second = tokens.source();
  endpoint.release();
  assert.equal(await second, 't2');
  for (let i = 0; i < 9; i++) tokens.invalidate(refused);
  assert.equal(await tokens.source(), 't2');
  assert.equal(endpoint.issued, 2);
});
