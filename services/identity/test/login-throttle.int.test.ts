// Login throttling under concurrency against a real PostgreSQL: successes
// delete an account's failure log while other attempts are reading it, and
// none of that may turn into a server error.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GOOD_PASSWORD, passwordGrant, signup, startIdentity, uniqueEmail, type Identity } from './harness.ts';

describe('identity login throttle under concurrency', () => {
  let id: Identity;
  before(async () => {
    // Enough connections that attempts really overlap in the database, and a
    // limit high enough that the account stays open: this is about the race
    // between sign-ins, not about the limit.
    id = await startIdentity({ env: { DATABASE_POOL_SIZE: '20', IDENTITY_LOGIN_FREE_FAILURES: '1000' } });
  });
  after(async () => {
    await id?.stop();
  });

  it('answers 20 parallel streams of sign-ins for one account, right and wrong, without a 5xx', async () => {
    const email = uniqueEmail('burst');
    assert.equal((await signup(id.url, email)).status, 202);
    const statuses: number[] = [];
    // Each stream signs in one attempt after another, so successes (which
    // delete the failure log) keep landing while other attempts read it.
    await Promise.all(
      Array.from({ length: 20 }, async (_, stream) => {
        for (let i = 0; i < 5; i++) {
          const res = await passwordGrant(id.url, email, (stream + i) % 2 === 0 ? GOOD_PASSWORD : `Wrong-Password-${i}`);
          assert.ok(res.status < 500, `stream ${stream}, attempt ${i}: ${res.status} ${JSON.stringify(res.body)}`);
          // One address with dozens of failures: its hashes wait last, and one held past the limit is a 429.
          if (res.status === 429) assert.equal((res.body as { code?: string }).code, 'SOUK_IDENTITY_BUSY');
          statuses.push(res.status);
        }
      }),
    );
    const seen = new Set(statuses);
    assert.ok(seen.has(200) && seen.has(400), `both outcomes answered: ${[...seen].join(', ')}`);
    assert.deepEqual(
      [...seen].filter((s) => ![200, 400, 429].includes(s)),
      [],
    );
  });
});
