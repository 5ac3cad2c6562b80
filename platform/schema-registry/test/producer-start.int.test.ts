// Producers against the registry, as at a real start: the chassis registers
// each event schema of the service definition; a compatible evolution (the
// catalog's PriceChanged v1 → v2) starts, an incompatible one (v3 without the
// required currency) refuses to start with the registry's reasons, and
// published events name the registered schema in `dataschema`.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { Type } from 'typebox';
import { defineEvent, defineService, IncompatibleSchemaError, schemaIdOf, startService, type EventContract } from '@souk/chassis';
import { createTestDatabase, type TestDatabase } from '@souk/chassis/testing';
import { PriceChanged, PriceChangedV1 } from '../../../services/catalog/contract.ts';
import { startRegistry, type Harness } from './harness.ts';

let registry: Harness;
let producerDb: TestDatabase;

before(async () => {
  registry = await startRegistry('sr_producers');
  producerDb = await createTestDatabase('sr_producer');
});
after(async () => {
  await registry?.close();
  await producerDb?.drop();
});

/** A catalog-like producer publishing one version of PriceChanged. */
function producer(contract: EventContract) {
  return defineService({
    name: 'catalog',
    version: '0.0.1',
    events: { publishes: [contract] },
    migrations: {},
    setup(ctx) {
      ctx.app.post('/change', async () =>
        ctx.db.transaction().execute((trx) =>
          ctx.events.publish(trx, contract, {
            productId: '7d0e3f4c-58a4-4b0c-9a63-0f0b7c1c2a11',
            oldPriceCents: 100,
            newPriceCents: 120,
            currency: 'EUR',
          }),
        ),
      );
    },
  });
}

// The producer registers with its own service token, scope schemas:write, as in the devhost.
const start = (contract: EventContract) =>
  startService(producer(contract), {
    env: { DATABASE_URL: producerDb.url, LOG_LEVEL: 'silent', STATIC_SERVICES: `schema-registry=${registry.url}` },
    serviceToken: registry.issuer.serviceToken('svc-catalog', ['schemas:write']),
  });

const versions = async () => (await fetch(`${registry.url}/subjects/souk.catalog.PriceChanged/versions`)).json();

test('v1, then v2 with an optional field: both start, as versions 1 and 2 of the subject', async () => {
  const v1 = await start(PriceChangedV1);
  await v1.stop();
  const v2 = await start(PriceChanged);
  try {
    assert.deepEqual(await versions(), [1, 2]);
    const event = (await (await fetch(`${v2.url}/change`, { method: 'POST' })).json()) as { dataschema: string };
    const latest = (await (await fetch(`${registry.url}/subjects/souk.catalog.PriceChanged/versions/latest`)).json()) as {
      id: number;
      schema: string;
    };
    assert.equal(schemaIdOf(event.dataschema), latest.id, 'events name the schema registered at start');
    assert.deepEqual(JSON.parse(latest.schema), PriceChanged.published);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from souk_outbox`.execute(v2.ctx.db);
    assert.equal(rows[0]!.n, 1);
  } finally {
    await v2.stop();
  }
});

test('a v3 without the required currency refuses to start, naming currency', async () => {
  const v3 = defineEvent({
    source: 'catalog',
    name: 'PriceChanged',
    schema: Type.Object({
      productId: Type.String(),
      oldPriceCents: Type.Integer(),
      newPriceCents: Type.Integer(),
      reason: Type.Optional(Type.String({ maxLength: 200 })),
    }),
  });
  await assert.rejects(start(v3), (err: unknown) => {
    assert.ok(err instanceof IncompatibleSchemaError, String(err));
    assert.equal(err.subject, 'souk.catalog.PriceChanged');
    assert.ok(
      err.reasons.some((r) => r.includes('#/properties/currency')),
      err.reasons.join('\n'),
    );
    assert.match(err.message, /incompatible[\s\S]*currency/);
    return true;
  });
  assert.deepEqual(await versions(), [1, 2], 'nothing was registered');
});
