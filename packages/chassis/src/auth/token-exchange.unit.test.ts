import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SoukError } from '../errors/index.ts';
import { chassisErrors } from '../errors/codes.ts';
import { createTokenExchanger, tokenExchangeRequest, TOKEN_EXCHANGE_GRANT, ACCESS_TOKEN_TYPE } from './token-exchange.ts';

function counting(answer: (subject: string, n: number) => { access_token: string; expires_in?: number }) {
  const calls: string[] = [];
  return {
    calls,
    fetchToken: async (subject: string) => {
      calls.push(subject);
      return answer(subject, calls.length);
    },
  };
}

test('a token is exchanged once and the answer reused until shortly before it expires', async () => {
  let now = 1_000_000;
  const fetch = counting((s, n) => ({ access_token: `internal-${s}-${n}`, expires_in: 300 }));
  const exchanger = createTokenExchanger({ fetchToken: fetch.fetchToken, now: () => now, refreshBeforeMs: 30_000 });
  assert.equal(exchanger.cached('user-a'), undefined);
  assert.equal(await exchanger.exchange('user-a'), 'internal-user-a-1');
  assert.equal(exchanger.cached('user-a'), 'internal-user-a-1');
  assert.equal(await exchanger.exchange('user-a'), 'internal-user-a-1');
  now += 269_000;
  assert.equal(exchanger.cached('user-a'), 'internal-user-a-1');
  now += 1_000; // 30 s before the internal token expires: due
  assert.equal(exchanger.cached('user-a'), undefined);
  assert.equal(await exchanger.exchange('user-a'), 'internal-user-a-2');
  assert.deepEqual(fetch.calls, ['user-a', 'user-a']);
});

test('concurrent requests with a new token share one exchange', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let calls = 0;
  const exchanger = createTokenExchanger({
    fetchToken: async () => {
      calls++;
      await gate;
      return { access_token: 'internal', expires_in: 60 };
    },
    now: () => 0,
  });
  const all = Promise.all([exchanger.exchange('t'), exchanger.exchange('t'), exchanger.exchange('t')]);
  release();
  assert.deepEqual(await all, ['internal', 'internal', 'internal']);
  assert.equal(calls, 1);
});

test('the cache is bounded: the least recently used token goes first', async () => {
  const fetch = counting((s, n) => ({ access_token: `${s}-${n}`, expires_in: 300 }));
  const exchanger = createTokenExchanger({ fetchToken: fetch.fetchToken, now: () => 0, maxEntries: 2 });
  await exchanger.exchange('a');
  await exchanger.exchange('b');
  exchanger.cached('a'); // a is now the most recently used
  await exchanger.exchange('c'); // b goes
  assert.equal(exchanger.size, 2);
  assert.equal(exchanger.cached('a'), 'a-1');
  assert.equal(exchanger.cached('b'), undefined);
  assert.equal(exchanger.cached('c'), 'c-3');
});

test("identity's refusal is the caller's 401; an outage stays a retryable 503; nothing is cached", async () => {
  let mode: 'refuse' | 'down' | 'empty' = 'refuse';
  const exchanger = createTokenExchanger({
    fetchToken: async () => {
      if (mode === 'refuse') throw new SoukError({ code: 'SOUK_IDENTITY_INVALID_GRANT', status: 400, title: 'invalid_grant' });
      if (mode === 'down') throw chassisErrors.connectionFailed('identity unreachable');
      return { access_token: '' };
    },
    now: () => 0,
  });
  await assert.rejects(exchanger.exchange('t'), (err: SoukError) => err.code === 'SOUK_AUTH_TOKEN_INVALID' && err.status === 401);
  const busy = createTokenExchanger({
    fetchToken: async () => {
      throw new SoukError(
        { code: 'SOUK_IDENTITY_RATE_LIMITED', status: 429, title: 'slow down' },
        { headers: { 'retry-after': '3' } },
      );
    },
    now: () => 0,
  });
  // Identity busy is not the token's fault: its 429 goes back as it is, Retry-After included.
  await assert.rejects(busy.exchange('t'), (err: SoukError) => err.status === 429 && err.headers['retry-after'] === '3');
  mode = 'down';
  await assert.rejects(
    exchanger.exchange('t'),
    (err: SoukError) => err.code === 'SOUK_AUTH_EXCHANGE_UNAVAILABLE' && err.headers['retry-after'] === '1',
  );
  mode = 'empty';
  await assert.rejects(exchanger.exchange('t'), (err: SoukError) => err.code === 'SOUK_AUTH_EXCHANGE_UNAVAILABLE');
  assert.equal(exchanger.size, 0);
});

test('the request form follows RFC 8693 section 2.1', () => {
  assert.deepEqual(tokenExchangeRequest('user-token', 'souk-internal'), {
    grant_type: TOKEN_EXCHANGE_GRANT,
    subject_token: 'user-token',
    subject_token_type: ACCESS_TOKEN_TYPE,
    requested_token_type: ACCESS_TOKEN_TYPE,
    audience: 'souk-internal',
  });
});
