// Rate limits at the gateway against the real stores: the bucket shared through
// PostgreSQL and through Redis by two limiters, and two gateway instances on
// one PostgreSQL database holding one client to its rate in total.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { RunningService } from '@souk/chassis';
import { createTestDatabase, createTestIssuer, type TestDatabase, type TestIssuer } from '@souk/chassis/testing';
import { DEFAULT_EXTERNAL_AUDIENCE } from '@souk/chassis';
import { createRateLimiter } from '../src/rate-limit/limiter.ts';
import { DEFAULT_RATE_LIMITS, type RateLimits } from '../src/rate-limit/policy.ts';
import { createPostgresStore, createRedisStore, type BucketStore } from '../src/rate-limit/stores.ts';
import { closedPortUrl, problemOf, startGateway, startUpstream, type Upstream } from './harness.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const log = pino({ level: 'silent' });

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase('gateway_rate');
});
after(async () => {
  await db.drop();
});

/** Nearly no refill (one token in ~3 hours): what two limiters get together is the burst, exactly. */
const FROZEN: RateLimits = {
  enabled: true,
  classes: { ...DEFAULT_RATE_LIMITS.classes, write: { perSecond: 0.0001, burst: 30 } },
};

async function sharedBurst(open: () => BucketStore): Promise<{ granted: number; retryAfterMs: number[] }> {
  const stores = [open(), open()];
  const limiters = stores.map((store) =>
    createRateLimiter({ store, now: () => Date.now(), instances: () => 2, log, limits: FROZEN }),
  );
  try {
    const caller = `user ${randomUUID()}`;
    // Both "gateways" at once, ten requests in flight each, 50 requests each.
    const answers = await Promise.all(
      limiters.flatMap((limiter) =>
        Array.from({ length: 10 }, async () => {
          const out = [];
          for (let i = 0; i < 5; i++) out.push(await limiter.check('write', caller));
          return out;
        }),
      ),
    );
    const flat = answers.flat();
    return {
      granted: flat.filter((a) => a === undefined).length,
      retryAfterMs: flat.flatMap((a) => (a === undefined ? [] : [a.retryAfterMs])),
    };
  } finally {
    await Promise.all(limiters.map((l) => l.close()));
  }
}

describe('a bucket shared by two gateways', () => {
  test('in PostgreSQL: together they let exactly the burst through, then refuse until the next token', async () => {
    const { granted, retryAfterMs } = await sharedBurst(() => createPostgresStore({ url: db.url, applicationName: 'rate-test' }));
    assert.equal(granted, 30);
    assert.equal(retryAfterMs.length, 70);
    // The next token is ~2.8 hours away.
    for (const ms of retryAfterMs) assert.ok(ms > 3_600_000, String(ms));
  });

  test('in Redis: the same', async () => {
    const { granted, retryAfterMs } = await sharedBurst(() => createRedisStore(REDIS_URL));
    assert.equal(granted, 30);
    assert.equal(retryAfterMs.length, 70);
    for (const ms of retryAfterMs) assert.ok(ms > 3_600_000, String(ms));
  });

  test('gateways making the table at the same moment all get their lease', async () => {
    const fresh = await createTestDatabase('gateway_rate_race');
    try {
      const stores = Array.from({ length: 4 }, () => createPostgresStore({ url: fresh.url, applicationName: 'rate-race' }));
      const leases = await Promise.all(stores.map(async (s) => s.lease('write race', 1, { perSecond: 1, burst: 10 })));
      assert.deepEqual(
        leases.map((l) => l.granted),
        [1, 1, 1, 1],
      );
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await fresh.drop();
    }
  });
});

describe('a gateway whose store is out of reach', () => {
  test('starts, serves, and limits alone at its share of the rate', async () => {
    const catalog = await startUpstream();
    const gateway = await startGateway({
      services: { catalog: [catalog.url] },
      // Nothing listens there: every lease fails, and the gateway limits in memory.
      env: {
        DATABASE_URL: `postgres://nobody@${new URL(await closedPortUrl()).host}/none`,
        GATEWAY_RATE_LIMITS: JSON.stringify({ read: { perSecond: 0.001, burst: 3 } }),
      },
    });
    try {
      const statuses = [];
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${gateway.url}/api/v1/catalog/products`);
        await res.arrayBuffer();
        statuses.push(res.status);
      }
      // One gateway in discovery (static services): its share is the whole burst.
      assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
      const metrics = await (await fetch(`${gateway.adminUrl}/metrics`)).text();
      assert.match(metrics, /souk_gateway_rate_limit_store_errors_total\{[^}]*\} [1-9]/);
    } finally {
      await gateway.stop();
      await catalog.close();
    }
  });
});

describe('two gateway instances on one database', () => {
  const RATE = 50;
  const BURST = 100;
  let catalog: Upstream;
  let issuer: TestIssuer;
  let gateways: RunningService[];

  before(async () => {
    catalog = await startUpstream();
    issuer = await createTestIssuer({ audience: DEFAULT_EXTERNAL_AUDIENCE });
    const env = {
      DATABASE_URL: db.url,
      GATEWAY_RATE_LIMITS: JSON.stringify({ read: { perSecond: RATE, burst: BURST } }),
    };
    gateways = [
      await startGateway({ services: { catalog: [catalog.url] }, env, issuer }),
      await startGateway({ services: { catalog: [catalog.url] }, env, issuer }),
    ];
  });
  after(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await catalog.close();
  });

  test('one client far above its limit, across both: the rate in total (±5 %), the rest 429 with the rate limit headers', async () => {
    const path = `/api/v1/catalog/products?limit-test=${randomUUID()}`;
    let accepted = 0;
    let refused = 0;
    let refusal: Response | undefined;
    const started = performance.now();
    const seconds = 4;
    const deadline = started + seconds * 1000;
    // Eight requests in flight, alternating gateways: far more than 50/s.
    await Promise.all(
      Array.from({ length: 8 }, async (_, worker) => {
        for (let i = 0; performance.now() < deadline; i++) {
          const res = await fetch(`${gateways[(worker + i) % 2]!.url}${path}`);
          if (res.status === 200) {
            accepted++;
            await res.arrayBuffer();
          } else {
            assert.equal(res.status, 429);
            refused++;
            if (refusal === undefined) refusal = res;
            else await res.arrayBuffer();
          }
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    // The burst, then the rate; a lease (a tenth of a second) per gateway may be left unspent at the end.
    const expected = BURST + RATE * elapsed;
    assert.ok(Math.abs(accepted - expected) <= expected * 0.05, `accepted ${accepted} of ${expected.toFixed(0)} expected`);
    assert.ok(refused > accepted, `refused ${refused}: the client was above its limit`);

    const problem = await problemOf(refusal!);
    assert.equal(problem.code, 'SOUK_GATEWAY_RATE_LIMITED');
    assert.match(refusal!.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    assert.equal(refusal!.headers.get('ratelimit-policy'), `"read";q=${RATE * 2};w=2`);
    assert.match(refusal!.headers.get('ratelimit') ?? '', /^"read";r=0;t=[1-9]\d*$/);
  });

  test('a signed-in user has a bucket of their own, apart from their address', async () => {
    const token = await issuer.token({ sub: `user-${randomUUID()}`, roles: ['customer'] });
    const path = '/api/v1/catalog/products';
    // The address spends its bucket (eight requests in flight, far above the 50/s refill, however slow the
    // machine: one at a time, a request slower than 20 ms would never empty it) until it is refused.
    let limited = false;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 10 * BURST && !limited; i++) {
          const res = await fetch(`${gateways[0]!.url}${path}`);
          await res.arrayBuffer();
          if (res.status === 429) limited = true;
        }
      }),
    );
    assert.equal(limited, true, 'the address was refused once over its limit');
    const signedIn = await fetch(`${gateways[1]!.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    await signedIn.arrayBuffer();
    assert.equal(signedIn.status, 200);
  });
});

describe('the limit before the token exchange', () => {
  test('a user over their limit with a token never exchanged costs identity nothing', async () => {
    const catalog = await startUpstream();
    const issuer = await createTestIssuer({ audience: DEFAULT_EXTERNAL_AUDIENCE });
    // Nearly no refill (one token in ~17 minutes): the refusal does not depend on how fast the test runs.
    const gateway = (await startGateway({
      services: { catalog: [catalog.url] },
      env: { GATEWAY_RATE_LIMITS: JSON.stringify({ read: { perSecond: 0.001, burst: 3 } }) },
      issuer,
    })) as RunningService & { identity: { exchanged: string[] } };
    try {
      const sub = `user-${randomUUID()}`;
      const read = async (token: string) => {
        const res = await fetch(`${gateway.url}/api/v1/catalog/products`, { headers: { authorization: `Bearer ${token}` } });
        await res.arrayBuffer();
        return res.status;
      };
      const first = await issuer.token({ sub, roles: ['customer'] });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push(await read(first));
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      assert.equal(gateway.identity.exchanged.length, 1);
      // A fresh token of the same user (a refresh): checked, counted, refused, and not exchanged.
      const fresh = await issuer.token({ sub, roles: ['customer'], expiresInSeconds: 600 });
      assert.notEqual(fresh, first);
      assert.equal(await read(fresh), 429);
      assert.equal(gateway.identity.exchanged.length, 1);
    } finally {
      await gateway.stop();
      await catalog.close();
    }
  });
});
