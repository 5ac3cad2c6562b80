// Attacks on identity through the gateway of a running devhost, each shown
// refused: a scrypt flood from one address (unknown-user password grants and
// client_credentials with random ids) while a customer elsewhere still signs
// in within 1 s; wrong passwords that cannot lock the admin out; sign-up that
// does not tell which emails have accounts (and warns the owner instead).
// Requests leave from different loopback addresses (127.0.0.x), so the
// gateway sees, and appends to X-Forwarded-For, a different client each.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { waitFor } from '@souk/chassis/testing';
import type { Devhost } from '../system/devhost-harness.ts';
import type { SecurityRun } from './run.ts';

const ADMIN = 'admin@souk.local';
const PASSWORD = 'Correct-Horse-Battery-9';
const TOKEN = '/api/v1/identity/oauth/token';
const SIGNUP = '/api/v1/identity/signup';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
  ms: number;
}

export function identityAttacks(run: SecurityRun): void {
  let devhost: Devhost;
  let port: number;
  // Keep-alive, as a real attacker's client would: connections are pooled per local address.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  before(() => {
    devhost = run.devhost;
    port = Number(new URL(devhost.gateway).port);
  });
  after(() => agent.destroy());

  /** One request to the gateway, sent from loopback address `from`. */
  function send(
    from: string,
    method: string,
    path: string,
    options: { form?: Record<string, string>; json?: unknown; headers?: Record<string, string>; token?: string } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined;
    if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    } else if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, localAddress: from, method, path, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, ms: performance.now() - started });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  const passwordGrant = (from: string, username: string, password: string) =>
    send(from, 'POST', TOKEN, { form: { grant_type: 'password', client_id: 'storefront', username, password } });

  // The flood's first burst arrives before its address has failed, so in the hashing queue's first lane, and
  // took its share of places at once: first come, first served made the customer wait for all of them, and its
  // next guess then hashed beside the customer's (3-10 s on a busy host). The queue now keeps a place for other
  // addresses, serves waiting addresses in turn, and lets a failing address hash only when nobody else does.
  test('a scrypt flood from one address: refused cheaply, and a customer elsewhere signs in within 1 s', async (t) => {
    const customer = `flood-victim-${randomUUID().slice(0, 8)}@example.com`;
    assert.equal((await send('127.0.0.3', 'POST', SIGNUP, { json: { email: customer, password: PASSWORD } })).status, 202);
    const baseline: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await passwordGrant('127.0.0.3', customer, PASSWORD);
      assert.equal(res.status, 200);
      baseline.push(res.ms);
    }

    const flood = { running: true, statuses: new Map<number, number>(), errors: 0 };
    const attacker = async (worker: number) => {
      for (let i = 0; flood.running; i++) {
        const res = await (
          (worker + i) % 2 === 0
            ? passwordGrant('127.0.0.2', `ghost-${randomUUID()}@example.com`, `Guess-${randomUUID()}`)
            : send('127.0.0.2', 'POST', TOKEN, {
                form: { grant_type: 'client_credentials' },
                headers: {
                  authorization: `Basic ${Buffer.from(`${randomUUID()}:${randomBytes(24).toString('base64url')}`).toString('base64')}`,
                },
              })
        ).catch(() => undefined);
        if (!res) flood.errors++;
        else flood.statuses.set(res.status, (flood.statuses.get(res.status) ?? 0) + 1);
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => attacker(w));
    // Let the flood use up its address's budgets (its first burst does reach scrypt) and run refused for a while:
    // the customer signs in while the flood goes on, not while the burst it was allowed is still being answered.
    await waitFor(() => ((flood.statuses.get(429) ?? 0) > 300 ? true : undefined), {
      timeoutMs: 120_000,
      what: 'the flood to be refused',
    });

    const logins: Reply[] = [];
    for (let i = 0; i < 5; i++) logins.push(await passwordGrant('127.0.0.3', customer, PASSWORD));
    const sent = [...flood.statuses.values()].reduce((a, b) => a + b, 0);
    flood.running = false;
    await Promise.all(workers);

    // The issue asks for 1 s. On a machine that other work slows down (the test suite runs beside other
    // devhosts on 2 cores), the same login without a flood can take longer than that; the bound is then
    // three times that baseline. Without the edges, each of the flood's requests was a scrypt (~0.1 s of CPU).
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const bound = Math.max(1000, 3 * median(baseline));
    const seen = {
      baselineMs: baseline.map(Math.round),
      loginsDuringFlood: logins.map((l) => `${l.status} ${Math.round(l.ms)} ms`),
      boundMs: Math.round(bound),
      flood: Object.fromEntries(flood.statuses),
      errors: flood.errors,
    };
    t.diagnostic(JSON.stringify(seen));
    for (const login of logins) assert.equal(login.status, 200, JSON.stringify({ ...seen, body: login.body }));
    assert.ok(Math.max(...logins.map((l) => l.ms)) < bound, JSON.stringify(seen));
    assert.ok(sent > 100, JSON.stringify(seen));
    assert.ok(
      [...flood.statuses.keys()].every((s) => s === 400 || s === 401 || s === 429),
      JSON.stringify(seen),
    );
    // Almost everything was refused before scrypt: only the address's burst got as far as a password check.
    assert.ok((flood.statuses.get(429) ?? 0) > 0.7 * sent, JSON.stringify(seen));
  });

  test('wrong passwords cannot lock the admin out: after the wait, the right password signs in', async () => {
    const attacker = '127.0.0.4';
    const answers: number[] = [];
    for (let i = 0; i < 20; i++) answers.push((await passwordGrant(attacker, ADMIN, `Wrong-Guess-${i}`)).status);
    // Three free failures and one more are checked; then each failure doubles the wait (1 s, 2 s, 4 s...), and
    // attempts within it are refused unchecked. (On a slow machine a guess may arrive after a short wait has passed.)
    assert.deepEqual(answers.slice(0, 4), [400, 400, 400, 400], answers.join(','));
    assert.ok(
      answers.every((s) => s === 400 || s === 429),
      answers.join(','),
    );
    assert.ok(answers.filter((s) => s === 429).length >= 10, answers.join(','));
    // The next guess may land just after a wait ran out (then it is checked, and the wait doubles): the first
    // refused one shows what a refusal says.
    const refused = await waitFor(
      async () => {
        const res = await passwordGrant(attacker, ADMIN, 'Wrong-Guess-x');
        assert.ok(res.status === 400 || res.status === 429, `${res.status} ${JSON.stringify(res.body)}`);
        return res.status === 429 ? res : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 0, what: 'a guess refused within the wait' },
    );
    assert.equal(refused.body.code, 'SOUK_IDENTITY_LOGIN_THROTTLED');
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);

    // The admin, from its own address: refused within the wait, signed in once it has passed.
    const password = await devhost.secret('admin-password');
    const signedIn = await waitFor(
      async () => {
        const res = await passwordGrant('127.0.0.5', ADMIN, password);
        if (res.status === 429) assert.equal(res.body.code, 'SOUK_IDENTITY_LOGIN_THROTTLED');
        else assert.equal(res.status, 200, JSON.stringify(res.body));
        return res.status === 200 ? res : undefined;
      },
      { timeoutMs: (retryAfter + 10) * 1000, intervalMs: 250, what: 'the admin to sign in after the wait' },
    );
    assert.ok(signedIn.body.access_token);
  });

  test('sign-up answers the same for a taken email as for a new one, and warns the owner', async () => {
    const from = '127.0.0.6';
    const answer = async (email: string) => {
      const res = await send(from, 'POST', SIGNUP, { json: { email, password: PASSWORD } });
      return { status: res.status, type: res.headers['content-type'], body: { ...res.body, email: undefined }, ms: res.ms };
    };
    const fresh: Awaited<ReturnType<typeof answer>>[] = [];
    const taken: Awaited<ReturnType<typeof answer>>[] = [];
    for (let i = 0; i < 5; i++) {
      fresh.push(await answer(`enum-${randomUUID().slice(0, 8)}@example.com`));
      taken.push(await answer(i % 2 === 0 ? ADMIN : ADMIN.toUpperCase()));
    }
    const shape = ({ status, type, body }: (typeof fresh)[number]) => ({ status, type, body });
    for (const t of taken) assert.deepEqual(shape(t), shape(fresh[0]!));
    for (const f of fresh) assert.deepEqual(shape(f), shape(fresh[0]!));
    assert.equal(fresh[0]!.status, 202);
    // Both hash the password: neither is an order of magnitude faster (a skipped scrypt would be ~20 times).
    const median = (xs: { ms: number }[]) => xs.map((x) => x.ms).sort((a, b) => a - b)[2]!;
    const ratio = median(fresh) / median(taken);
    assert.ok(ratio > 0.25 && ratio < 4, `new ${Math.round(median(fresh))} ms vs taken ${Math.round(median(taken))} ms`);

    // The admin hears of it.
    const admin = await passwordGrant('127.0.0.7', ADMIN, await devhost.secret('admin-password'));
    assert.equal(admin.status, 200, JSON.stringify(admin.body));
    const warnings = await waitFor(
      async () => {
        const list = await send('127.0.0.7', 'GET', '/api/v1/notifications', { token: admin.body.access_token });
        const items = (list.body?.items ?? []) as Array<{ kind: string; body: string }>;
        const found = items.filter((n) => n.kind === 'sign-up-attempt');
        return found.length >= 5 ? found : undefined;
      },
      { timeoutMs: 20_000, what: "the admin's sign-up warnings" },
    );
    assert.match(warnings[0]!.body, /admin@souk\.local/);
  });
}
