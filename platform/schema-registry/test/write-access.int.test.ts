// Who may change the registry, and patterns from anyone's schema: writes need
// an admin's token or a producer's service token with schemas:write (401 with
// none, 403 with another), reads need nothing; catastrophic patterns are
// answered (RE2), patterns RE2 cannot run are a 422.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { adminToken, assertConfluentError, call, jsonSchema, priceChanged, startRegistry, type Harness } from './harness.ts';

let h: Harness;
before(async () => {
  h = await startRegistry('sr_writes');
});
after(async () => {
  await h?.close();
});

const subject = 'souk.catalog.PriceChanged';
const producer = () => h.issuer.serviceToken('svc-catalog', ['schemas:write'])();

test('anonymous writes are 401 (40101) with WWW-Authenticate; anonymous reads are answered', async () => {
  const registered = await call(h.url, 'POST', `/subjects/${subject}/versions`, { body: jsonSchema(priceChanged(1, true)) });
  assert.equal(registered.status, 200, registered.text);
  const writes: Array<[string, string, unknown]> = [
    ['POST', `/subjects/${subject}/versions`, jsonSchema(priceChanged(2, true))],
    ['DELETE', `/subjects/${subject}`, undefined],
    ['DELETE', `/subjects/${subject}/versions/1`, undefined],
    ['PUT', '/config', { compatibility: 'NONE' }],
    ['DELETE', '/config', undefined],
    ['PUT', `/config/${subject}`, { compatibility: 'NONE' }],
    ['DELETE', `/config/${subject}`, undefined],
  ];
  for (const [method, path, body] of writes) {
    const res = await call(h.url, method, path, { anonymous: true, ...(body === undefined ? {} : { body }) });
    assertConfluentError(res, 401, 40101, /bearer token/);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer', `${method} ${path}`);
  }
  assert.deepEqual((await call(h.url, 'GET', `/subjects/${subject}/versions`, { anonymous: true })).json, [1]);
  const lookup = await call(h.url, 'POST', `/subjects/${subject}`, { anonymous: true, body: jsonSchema(priceChanged(1, true)) });
  assert.equal(lookup.status, 200, 'a lookup is a read');
  const check = await call(h.url, 'POST', `/compatibility/subjects/${subject}/versions/latest`, {
    anonymous: true,
    body: jsonSchema(priceChanged(2, true)),
  });
  assert.equal(check.status, 200, 'a compatibility check is a read');
});

test('a forged or foreign token is 401; a valid token without the role or scope is 403 (40301)', async () => {
  const body = jsonSchema(priceChanged(2, true));
  const path = `/subjects/${subject}/versions`;
  assertConfluentError(await call(h.url, 'POST', path, { body, token: 'not.a.token' }), 401, 40101);
  const customer = await h.issuer.token({ roles: ['customer'], scopes: ['schemas:write'] });
  assertConfluentError(await call(h.url, 'POST', path, { body, token: customer }), 403, 40301, /schemas:write/);
  const otherService = await h.issuer.serviceToken('svc-cart', ['internal'])();
  assertConfluentError(await call(h.url, 'POST', path, { body, token: otherService }), 403, 40301);
  assertConfluentError(await call(h.url, 'DELETE', `/subjects/${subject}`, { token: otherService }), 403, 40301);
  assert.deepEqual((await call(h.url, 'GET', `/subjects/${subject}/versions`)).json, [1], 'nothing changed');
});

test("a producer's token with schemas:write registers; an admin's token deletes and sets levels", async () => {
  const token = await producer();
  const v2 = await call(h.url, 'POST', `/subjects/${subject}/versions`, { token, body: jsonSchema(priceChanged(2, true)) });
  assert.equal(v2.status, 200, v2.text);
  const admin = await adminToken();
  const level = await call(h.url, 'PUT', `/config/${subject}`, { token: admin, body: { compatibility: 'FULL' } });
  assert.deepEqual(level.json, { compatibility: 'FULL' });
  const deleted = await call(h.url, 'DELETE', `/subjects/${subject}`, { token: admin });
  assert.deepEqual(deleted.json, [1, 2]);
});

const REDOS = '^(a+)+$';
const EVIL = `${'a'.repeat(30_000)}!`;

test('a catastrophic pattern is accepted and runs in linear time, also against a long property name', async () => {
  const s = 'souk.test.Redos';
  // The writer declares a property whose name a backtracking engine would take for ever to reject.
  const writer = { type: 'object', properties: { [EVIL]: { type: 'string' } } };
  assert.equal((await call(h.url, 'POST', `/subjects/${s}/versions`, { body: jsonSchema(writer) })).status, 200);
  // The reader's patternProperties are matched against that name by the compatibility check.
  const reader = { type: 'object', patternProperties: { [REDOS]: { type: 'integer' } } };
  const check = await call(h.url, 'POST', `/compatibility/subjects/${s}/versions/latest`, { body: jsonSchema(reader) });
  assert.equal(check.status, 200, check.text);
  assert.equal(typeof check.json.is_compatible, 'boolean');
  const pattern = await call(h.url, 'POST', '/subjects/souk.test.RedosString/versions', {
    body: jsonSchema({ type: 'string', pattern: REDOS }),
  });
  assert.equal(pattern.status, 200, pattern.text);
});

test('a pattern RE2 cannot run (lookahead, backreference) is 422 (42201), not a 500', async () => {
  for (const bad of ['(?=a)b', '(a)\\1']) {
    const res = await call(h.url, 'POST', '/subjects/souk.test.Lookahead/versions', {
      body: jsonSchema({ type: 'object', patternProperties: { [bad]: { type: 'integer' } } }),
    });
    assertConfluentError(res, 422, 42201, /linear-time \(RE2\) engine/);
  }
  const checked = await call(h.url, 'POST', '/compatibility/subjects/souk.test.Lookahead/versions/latest', {
    body: jsonSchema({ type: 'string', pattern: '(?<=a)b' }),
  });
  assert.notEqual(checked.status, 500, checked.text);
});
