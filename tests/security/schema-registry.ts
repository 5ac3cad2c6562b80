// Attacks on the schema registry of the running devhost (issue 11): an
// anonymous caller cannot delete a producer's subject or register a version,
// a catastrophic pattern (ReDoS) is answered within a second, and the
// producers, identity included, still registered their schemas at start.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { shop } from '../system/shop-client.ts';
import type { Devhost } from '../system/devhost-harness.ts';
import type { SecurityRun } from './run.ts';

const SR = 'application/vnd.schemaregistry.v1+json';
const PRODUCER_SUBJECTS = [
  'souk.identity.UserRegistered',
  'souk.catalog.PriceChanged',
  'souk.inventory.StockReserved',
  'souk.orders.OrderPlaced',
  'souk.payments.PaymentCaptured',
  'souk.shipping.OrderShipped',
];

export function schemaRegistryAttacks(run: SecurityRun): void {
  let devhost: Devhost;
  let registry: string;
  before(() => {
    devhost = run.devhost;
    registry = run.instanceUrl('schema-registry');
  });

  async function sr(method: string, path: string, options: { body?: unknown; token?: string } = {}) {
    const res = await devhost.fetch(`${registry}${path}`, {
      method,
      headers: {
        accept: SR,
        ...(options.body === undefined ? {} : { 'content-type': SR }),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      // A hung event loop must fail the test, not hang it.
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  test('every producer, identity included, registered its schemas with its own token: the devhost became ready', async () => {
    const subjects = await sr('GET', '/subjects');
    assert.equal(subjects.status, 200);
    for (const subject of PRODUCER_SUBJECTS)
      assert.ok(subjects.body.includes(subject), `${subject} in ${JSON.stringify(subjects.body)}`);
  });

  test('an anonymous caller cannot delete a subject nor register a version (401, 40101)', async () => {
    const subject = 'souk.catalog.PriceChanged';
    const before = await sr('GET', `/subjects/${subject}/versions`);
    const deleted = await sr('DELETE', `/subjects/${subject}`);
    assert.equal(deleted.status, 401, JSON.stringify(deleted.body));
    assert.equal(deleted.body.error_code, 40101);
    const permanent = await sr('DELETE', `/subjects/${subject}/versions/1?permanent=true`);
    assert.equal(permanent.status, 401);
    const hijack = await sr('POST', `/subjects/${subject}/versions`, { body: { schemaType: 'JSON', schema: '{"type":"null"}' } });
    assert.equal(hijack.status, 401);
    const level = await sr('PUT', `/config/${subject}`, { body: { compatibility: 'NONE' } });
    assert.equal(level.status, 401);
    assert.deepEqual((await sr('GET', `/subjects/${subject}/versions`)).body, before.body, 'the subject is untouched');
  });

  test('a catastrophic pattern (^(a+)+$ against "aaaa…!") is answered within 1 s', async () => {
    // The registry, like every service, takes internal tokens: the admin's is exchanged as the operator tools do.
    const admin = await devhost.internalToken(
      await shop(devhost.gateway).login('admin@souk.local', await devhost.secret('admin-password')),
    );
    const evil = `${'a'.repeat(10_000)}!`;
    const subject = 'souk.attack.Redos';
    // The admin registers a writer with a property name that the pattern below takes for ever to reject under backtracking.
    const writer = { type: 'object', properties: { [evil]: { type: 'string' } } };
    const registered = await sr('POST', `/subjects/${subject}/versions`, {
      token: admin,
      body: { schemaType: 'JSON', schema: JSON.stringify(writer) },
    });
    assert.equal(registered.status, 200, JSON.stringify(registered.body));
    // Anyone may ask for a compatibility check: the reader's patternProperties are matched against that name.
    const reader = { type: 'object', patternProperties: { '^(a+)+$': { type: 'integer' } } };
    const started = performance.now();
    const check = await sr('POST', `/compatibility/subjects/${subject}/versions/latest`, {
      body: { schemaType: 'JSON', schema: JSON.stringify(reader) },
    });
    const elapsedMs = performance.now() - started;
    assert.equal(check.status, 200, JSON.stringify(check.body));
    assert.equal(typeof check.body.is_compatible, 'boolean');
    assert.ok(elapsedMs < 1_000, `answered in ${Math.round(elapsedMs)} ms`);
    // And the registry still answers others.
    assert.equal((await sr('GET', '/subjects')).status, 200);
  });
}
