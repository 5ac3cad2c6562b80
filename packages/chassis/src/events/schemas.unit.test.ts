// Schema registration at start: ids kept per event type, an incompatible
// change refused with the registry's reasons, a registry that is not up yet
// waited for, a refusal of any other kind reported as such.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { Type } from 'typebox';
import { SoukError } from '../errors/index.ts';
import type { ServiceClient, ServiceRequest } from '../client/types.ts';
import { defineEvent } from './contract.ts';
import { IncompatibleSchemaError, registerSchemas, schemaText } from './schemas.ts';

const log = pino({ level: 'silent' });
const A = defineEvent({ source: 'catalog', name: 'ProductCreated', schema: Type.Object({ productId: Type.String() }) });
const B = defineEvent({ source: 'catalog', name: 'PriceChanged', schema: Type.Object({ productId: Type.String() }) });

function fakeClient(answer: (req: ServiceRequest) => unknown): ServiceClient & { calls: ServiceRequest[] } {
  const calls: ServiceRequest[] = [];
  return {
    calls,
    async request<T>(req: ServiceRequest<T>) {
      calls.push(req);
      return { status: 200, headers: {}, body: (await answer(req)) as T };
    },
  };
}

const failure = (status: number, code = 'SOUK_UPSTREAM_REJECTED') => new SoukError({ code, status, title: 'x' });

test('each contract is registered under its event type as a JSON schema; the ids come back per type', async () => {
  let next = 10;
  const client = fakeClient(() => ({ id: next++ }));
  const ids = await registerSchemas({ client, contracts: [A, B], log, waitMs: 0 });
  assert.deepEqual(Object.fromEntries(ids), { 'souk.catalog.ProductCreated': 10, 'souk.catalog.PriceChanged': 11 });
  assert.equal(client.calls[0]!.path, '/subjects/souk.catalog.ProductCreated/versions');
  assert.deepEqual(client.calls[0]!.body, { schemaType: 'JSON', schema: schemaText(A) });
  // Registered closed: the registry then knows exactly which properties exist.
  assert.deepEqual(JSON.parse(schemaText(A)), {
    type: 'object',
    properties: { productId: { type: 'string' } },
    required: ['productId'],
    additionalProperties: false,
  });
});

test("an incompatible schema stops the start with the registry's reasons", async () => {
  const client = fakeClient((req) => {
    if (req.path.startsWith('/compatibility/'))
      return { is_compatible: false, messages: ['REQUIRED_PROPERTY_REMOVED at #/properties/currency'] };
    throw failure(409);
  });
  await assert.rejects(registerSchemas({ client, contracts: [A], log, waitMs: 0 }), (err: unknown) => {
    assert.ok(err instanceof IncompatibleSchemaError);
    assert.deepEqual(err.reasons, ['REQUIRED_PROPERTY_REMOVED at #/properties/currency']);
    assert.match(err.message, /souk\.catalog\.ProductCreated schema is incompatible[\s\S]*currency/);
    return true;
  });
  assert.equal(client.calls[1]!.path, '/compatibility/subjects/souk.catalog.ProductCreated/versions');
  assert.deepEqual(client.calls[1]!.query, { verbose: 'true' });
});

test('a registry that is not reachable yet is waited for; one that stays away fails the start', async () => {
  let calls = 0;
  const flaky = fakeClient(() => {
    if (++calls < 3) throw failure(503, 'SOUK_CLIENT_NO_INSTANCE');
    return { id: 1 };
  });
  assert.equal((await registerSchemas({ client: flaky, contracts: [A], log, waitMs: 10_000 })).get(A.type), 1);
  const away = fakeClient(() => {
    throw failure(503, 'SOUK_CLIENT_NO_INSTANCE');
  });
  await assert.rejects(registerSchemas({ client: away, contracts: [A], log, waitMs: 0 }), /schema registry is unreachable/);
  const refusing = fakeClient(() => {
    throw failure(422);
  });
  await assert.rejects(
    registerSchemas({ client: refusing, contracts: [A], log, waitMs: 10_000 }),
    /refused the souk\.catalog\.ProductCreated schema/,
  );
});
