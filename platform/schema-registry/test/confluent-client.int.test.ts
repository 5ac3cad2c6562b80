// A real third-party client against the registry: @kafkajs/confluent-schema-registry
// (mappersmith, vnd.schemaregistry.v1+json bodies) registers, fetches,
// encodes and decodes, and sees a 409 as its own error with that status.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { adminToken, call, priceChanged, startRegistry, type Harness } from './harness.ts';

let h: Harness;
let registry: SchemaRegistry;

before(async () => {
  h = await startRegistry('sr_kafkajs');
  const token = await adminToken();
  // No retries: a failure should show at once, not after the client's backoff. The bearer token
  // goes in through a mappersmith middleware, as with Confluent's own bearer authentication.
  registry = new SchemaRegistry({
    host: h.url,
    retry: { retries: 0 },
    middlewares: [
      () => ({
        prepareRequest: (next) => next().then((request) => request.enhance({ headers: { authorization: `Bearer ${token}` } })),
      }),
    ],
  });
});
after(async () => {
  await h.close();
});

const subject = 'souk.catalog.PriceChanged-value';
const register = (schema: unknown) => registry.register({ type: SchemaType.JSON, schema: JSON.stringify(schema) }, { subject });

test('register answers an id; the client also pins the subject to BACKWARD on first registration', async () => {
  const { id } = await register(priceChanged(1, true));
  assert.equal(typeof id, 'number');
  // The client asked GET /config/{subject} (40408 → "first time"), then PUT it: the level is now the subject's own.
  assert.deepEqual((await call(h.url, 'GET', `/config/${subject}`)).json, { compatibilityLevel: 'BACKWARD' });
  // Registering the same schema again gives the same id.
  assert.equal((await register(priceChanged(1, true))).id, id);
});

test('getSchema by id, encode and decode round-trip a payload', async () => {
  const { id } = await register(priceChanged(2, true));
  const schema = await registry.getSchema(id);
  assert.ok(schema, 'the client builds a schema from GET /schemas/ids/{id}');
  const payload = { productId: 'p-1', oldPriceCents: 1299, newPriceCents: 999, currency: 'EUR', reason: 'spring sale' };
  const encoded = await registry.encode(id, payload);
  assert.equal(encoded.readUInt8(0), 0, 'Confluent wire format: magic byte 0');
  assert.equal(encoded.readInt32BE(1), id, 'then the schema id');
  assert.deepEqual(await registry.decode(encoded), payload);
  await assert.rejects(
    registry.encode(id, { productId: 'p-1' }),
    (err: Error) => err.name === 'ConfluentSchemaRegistryValidationError',
  );
});

test('getLatestSchemaId and getRegistryIdBySchema', async () => {
  const latest = await registry.getLatestSchemaId(subject);
  assert.equal(latest, (await call(h.url, 'GET', `/subjects/${subject}/versions/latest`)).json.id);
  const id = await registry.getRegistryIdBySchema(subject, {
    type: SchemaType.JSON,
    schema: JSON.stringify(priceChanged(2, true)),
  });
  assert.equal(id, latest);
});

test("an incompatible schema fails with the client's error carrying status 409 and the reasons", async () => {
  const closedSubject = 'souk.catalog.PriceChanged-closed-value';
  await registry.register({ type: SchemaType.JSON, schema: JSON.stringify(priceChanged(2, true)) }, { subject: closedSubject });
  await assert.rejects(
    registry.register({ type: SchemaType.JSON, schema: JSON.stringify(priceChanged(3, true)) }, { subject: closedSubject }),
    (err: Error & { status?: number }) => {
      assert.equal(err.name, 'ResponseError');
      assert.equal(err.status, 409);
      assert.match(err.message, /incompatible with an earlier schema/);
      assert.match(err.message, /PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL at #\/properties\/currency/);
      return true;
    },
  );
});

test("an unknown id is the client's 404 error", async () => {
  await assert.rejects(registry.getSchema(424242), (err: Error & { status?: number }) => err.status === 404);
});
