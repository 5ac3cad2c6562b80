// The edges in front of scrypt against a real PostgreSQL: budgets per client
// IP (from the gateway's X-Forwarded-For hop) and per client id, the bounded
// hashing queue shedding load, and progressive delays that never lock an
// account out. Each test speaks from its own addresses, so one instance with
// tight limits serves them all; the fake clock stands in for waiting.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GOOD_PASSWORD, request, signedUp, startIdentity, TOKEN, SIGNUP, uniqueEmail, type Identity } from './harness.ts';

const CLIENT = { clientId: 'edge-service', clientSecret: 'edge-secret-0123456789abcdef', scopes: ['internal'] };

/** As the gateway forwards it: whatever the client claimed first, the peer it saw last. */
const via = (ip: string, claimed = '10.0.0.1') => ({ 'x-forwarded-for': `${claimed}, ${ip}` });

let n = 0;
/** A fresh documentation-range address per call. */
const freshIp = () => `198.51.${Math.floor(++n / 250)}.${(n % 250) + 1}`;

function grant(id: Identity, ip: string, username: string, password: string) {
  return request(id.url, 'POST', TOKEN, {
    form: { grant_type: 'password', client_id: 'storefront', username, password },
    headers: via(ip),
  });
}

function assertRefused(res: { status: number; headers: Headers; body: any }, code: string, retryAfter?: number) {
  assert.equal(res.status, 429, JSON.stringify(res.body));
  assert.equal(res.body.code, code);
  const header = Number(res.headers.get('retry-after'));
  assert.ok(header >= 1, `Retry-After ${res.headers.get('retry-after')}`);
  if (retryAfter !== undefined) assert.equal(header, retryAfter);
  assert.equal(res.body.retryAfter, header);
}

describe('identity edges in front of scrypt', () => {
  let id: Identity;
  before(async () => {
    id = await startIdentity({
      clients: [CLIENT],
      env: {
        IDENTITY_TOKEN_PER_IP_BURST: '10',
        IDENTITY_TOKEN_PER_IP_PER_MINUTE: '1',
        IDENTITY_TOKEN_PER_CLIENT_BURST: '3',
        IDENTITY_TOKEN_PER_CLIENT_PER_MINUTE: '1',
        IDENTITY_SIGNUP_PER_IP_BURST: '2',
        IDENTITY_SIGNUP_PER_IP_PER_MINUTE: '1',
        IDENTITY_LOGIN_FREE_FAILURES: '2',
        IDENTITY_LOGIN_IP_FREE_FAILURES: '3',
        IDENTITY_LOGIN_MAX_DELAY_SECONDS: '8',
        IDENTITY_HASH_CONCURRENCY: '1',
        IDENTITY_HASH_QUEUE: '1',
        IDENTITY_HASH_PER_IP: '1',
      },
    });
  });
  after(async () => {
    await id?.stop();
  });

  it('refuses token requests beyond the per-IP budget with 429 + Retry-After; a made-up first hop does not help', async () => {
    const ip = freshIp();
    // Any token request counts (a refresh with a made-up token is cheap and leaves no failure behind).
    const refresh = (headers: Record<string, string>) =>
      request(id.url, 'POST', TOKEN, {
        form: { grant_type: 'refresh_token', client_id: 'storefront', refresh_token: 'made-up' },
        headers,
      });
    for (let i = 0; i < 10; i++) assert.equal((await refresh(via(ip))).status, 400);
    const refused = await grant(id, ip, uniqueEmail('nobody'), 'Wrong-Password-1');
    assertRefused(refused, 'SOUK_IDENTITY_RATE_LIMITED', 60);
    assert.equal(refused.body.error, 'temporarily_unavailable');
    // The client controls everything before the gateway's hop.
    assertRefused(await refresh({ 'x-forwarded-for': `${freshIp()}, ${ip}` }), 'SOUK_IDENTITY_RATE_LIMITED');
    // Another address has its own budget, and the budget refills with time.
    assert.equal((await refresh(via(freshIp()))).status, 400);
    id.clock.advance(60_000);
    assert.equal((await refresh(via(ip))).status, 400);
    assertRefused(await refresh(via(ip)), 'SOUK_IDENTITY_RATE_LIMITED', 60);
  });

  it('refuses client_credentials beyond the per-client budget, from any address', async () => {
    const basic = `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`;
    const cc = () =>
      request(id.url, 'POST', TOKEN, {
        form: { grant_type: 'client_credentials' },
        headers: { ...via(freshIp()), authorization: basic },
      });
    for (let i = 0; i < 3; i++) assert.equal((await cc()).status, 200);
    assertRefused(await cc(), 'SOUK_IDENTITY_RATE_LIMITED', 60);
  });

  it('refuses sign-ups beyond the per-IP budget with 429 + Retry-After', async () => {
    const ip = freshIp();
    const up = () =>
      request(id.url, 'POST', SIGNUP, { json: { email: uniqueEmail('budget'), password: GOOD_PASSWORD }, headers: via(ip) });
    assert.equal((await up()).status, 202);
    assert.equal((await up()).status, 202);
    const refused = await up();
    assertRefused(refused, 'SOUK_IDENTITY_RATE_LIMITED', 60);
    assert.match(refused.headers.get('content-type') ?? '', /^application\/problem\+json/);
  });

  it('sheds password checks beyond the hashing queue with 429 SOUK_IDENTITY_BUSY, never a 5xx', async () => {
    // One hash at a time and one waiting: of 30 simultaneous guesses most cannot get a place.
    const replies = await Promise.all(
      Array.from({ length: 30 }, () => grant(id, freshIp(), uniqueEmail('flood'), 'Wrong-Password-1')),
    );
    const statuses = replies.map((r) => r.status);
    assert.ok(
      statuses.every((s) => s === 400 || s === 429),
      statuses.join(','),
    );
    const shed = replies.filter((r) => r.status === 429);
    assert.ok(shed.length > 0, 'nothing was shed');
    for (const r of shed) {
      assertRefused(r, 'SOUK_IDENTITY_BUSY', 1);
      assert.equal(r.body.error, 'temporarily_unavailable');
    }
    assert.ok(statuses.filter((s) => s === 400).length >= 2, 'the queue still answered some');
  });

  it('delays an account progressively after failures from any address, and the right password works after the wait', async () => {
    const email = uniqueEmail('victim');
    await signedUp(id.url, email);
    // Two free failures, then each failure doubles the wait: 1 s, 2 s, 4 s, capped at 8 s.
    assert.equal((await grant(id, freshIp(), email, 'Wrong-Password-1')).status, 400);
    assert.equal((await grant(id, freshIp(), email, 'Wrong-Password-2')).status, 400);
    assert.equal((await grant(id, freshIp(), email, 'Wrong-Password-3')).status, 400);
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const refused = await grant(id, freshIp(), email, GOOD_PASSWORD);
      assertRefused(refused, 'SOUK_IDENTITY_LOGIN_THROTTLED');
      waits.push(Number(refused.headers.get('retry-after')));
      id.clock.advance(waits[i]! * 1000);
      assert.equal((await grant(id, freshIp(), email, `Wrong-Password-${i + 4}`)).status, 400);
    }
    assert.deepEqual(waits, [1, 2, 4, 8, 8]);
    // Never locked: after the (capped) wait the right password signs in, and the log is cleared.
    const blocked = await grant(id, freshIp(), email, GOOD_PASSWORD);
    assertRefused(blocked, 'SOUK_IDENTITY_LOGIN_THROTTLED', 8);
    id.clock.advance(8_000);
    assert.equal((await grant(id, freshIp(), email, GOOD_PASSWORD)).status, 200);
    assert.equal((await grant(id, freshIp(), email, 'Wrong-Password-9')).status, 400);
  });

  it('slows one address spraying guesses across accounts, and its own successful sign-in does not reset that', async () => {
    const ip = freshIp();
    const own = uniqueEmail('sprayer');
    await signedUp(id.url, own);
    for (let i = 0; i < 3; i++) assert.equal((await grant(id, ip, uniqueEmail('target'), 'Summer-2025!')).status, 400);
    id.clock.advance(1_000); // spaced out, as a patient sprayer would: the token budget is not what stops it
    assert.equal((await grant(id, ip, uniqueEmail('target'), 'Summer-2025!')).status, 400);
    const refused = await grant(id, ip, uniqueEmail('target'), 'Summer-2025!');
    assertRefused(refused, 'SOUK_IDENTITY_LOGIN_THROTTLED', 1);
    assert.match(refused.body.detail, /from this address/);
    id.clock.advance(60_000);
    assert.equal((await grant(id, ip, own, GOOD_PASSWORD)).status, 200);
    assert.equal((await grant(id, ip, uniqueEmail('target'), 'Summer-2025!')).status, 400);
    assertRefused(await grant(id, ip, uniqueEmail('target'), 'Summer-2025!'), 'SOUK_IDENTITY_LOGIN_THROTTLED', 2);
    // Other addresses are not slowed by it.
    assert.equal((await grant(id, freshIp(), uniqueEmail('target'), 'Summer-2025!')).status, 400);
  });
});
