// Requests at the edge: the media types bodies may come in, what every answer
// is sent as, bad bodies and parameters (4xx in Confluent's format, never
// 5xx), invalid schemas, and the registration counter.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SCHEMA_REGISTRY_CONTENT_TYPE } from '../contract.ts';
import { assertConfluentError, call, jsonSchema, startRegistry, type Harness } from './harness.ts';

let h: Harness;
const post = (path: string, options: Parameters<typeof call>[3]) => call(h.url, 'POST', path, options);

before(async () => {
  h = await startRegistry('sr_requests');
});
after(async () => {
  await h.close();
});

describe('media types', () => {
  test('bodies are read as JSON whichever of the four accepted types they carry', async () => {
    const types = [
      'application/vnd.schemaregistry.v1+json',
      'application/vnd.schemaregistry+json',
      'application/json',
      'application/octet-stream',
    ];
    for (const [i, contentType] of types.entries()) {
      const res = await post(`/subjects/types-${i}/versions`, { body: jsonSchema({ type: 'string' }), contentType });
      assert.equal(res.status, 200, `${contentType}: ${res.text}`);
      assert.equal(res.headers.get('content-type'), SCHEMA_REGISTRY_CONTENT_TYPE);
    }
    const withCharset = await post('/subjects/types-charset/versions', {
      body: jsonSchema({ type: 'string' }),
      contentType: 'application/vnd.schemaregistry.v1+json; charset=utf-8',
    });
    assert.equal(withCharset.status, 200, withCharset.text);
  });

  test('every answer is sent as application/vnd.schemaregistry.v1+json, raw schemas included', async () => {
    for (const path of [
      '/subjects',
      '/config',
      '/schemas/types',
      '/subjects/types-0/versions/1/schema',
      '/schemas/ids/1/schema',
    ]) {
      const res = await call(h.url, 'GET', path);
      assert.equal(res.status, 200, `${path}: ${res.text}`);
      assert.equal(res.headers.get('content-type'), SCHEMA_REGISTRY_CONTENT_TYPE, path);
    }
  });

  test('other media types are 415 in Confluent format', async () => {
    assertConfluentError(
      await post('/subjects/x/versions', { rawBody: JSON.stringify(jsonSchema({})), contentType: 'text/plain' }),
      415,
      415,
    );
    assertConfluentError(await post('/subjects/x/versions', { rawBody: '<schema/>', contentType: 'application/xml' }), 415, 415);
  });

  test('routes outside the registry API keep the chassis problem documents', async () => {
    const res = await call(h.url, 'GET', '/nothing-here');
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(res.json.code, 'SOUK_ROUTE_NOT_FOUND');
  });
});

describe('bad requests are 4xx, never 5xx', () => {
  const cases: Array<[string, Parameters<typeof call>[3], number, number, RegExp?]> = [
    ['no body at all', {}, 422, 422],
    ['an empty body', { rawBody: '' }, 400, 400, /empty/],
    ['malformed JSON', { rawBody: '{"schema": ' }, 400, 400, /not valid JSON/],
    ['a JSON array', { rawBody: '[]' }, 422, 422],
    ['a JSON string', { rawBody: '"schema"' }, 422, 422],
    ['no schema member', { body: { schemaType: 'JSON' } }, 422, 422, /body\.schema is required/],
    ['a schema that is not a string', { body: { schemaType: 'JSON', schema: { type: 'string' } } }, 422, 422, /body\.schema/],
    ['schemaType not a string', { body: { schemaType: 7, schema: '{}' } }, 422, 422, /body\.schemaType/],
    ['references not an array', { body: { schemaType: 'JSON', schema: '{}', references: 'x' } }, 422, 422],
    ['a __proto__ key', { rawBody: '{"__proto__": {"x": 1}, "schema": "{}", "schemaType": "JSON"}' }, 400, 400],
    ['schema text that is not JSON', { body: { schemaType: 'JSON', schema: '{type: string' } }, 422, 42201, /not valid JSON/],
    ['schema text that is a number', { body: { schemaType: 'JSON', schema: '42' } }, 422, 42201, /JSON object/],
    ['not a valid JSON Schema', { body: jsonSchema({ type: 'strin' }) }, 422, 42201, /Invalid schema/],
    ['an unresolvable $ref', { body: jsonSchema({ $ref: '#/definitions/missing' }) }, 422, 42201, /can't resolve reference/],
    ['draft-04', { body: jsonSchema({ $schema: 'http://json-schema.org/draft-04/schema#' }) }, 422, 42201, /not supported/],
    [
      'AVRO (schemaType missing)',
      { body: { schema: '{"type":"record","name":"x","fields":[]}' } },
      422,
      42201,
      /unsupported schema type AVRO/,
    ],
    [
      'PROTOBUF',
      { body: { schemaType: 'PROTOBUF', schema: 'syntax = "proto3";' } },
      422,
      42201,
      /unsupported schema type "PROTOBUF"/,
    ],
    [
      'references',
      { body: jsonSchema({}, { references: [{ name: 'a', subject: 'b', version: 1 }] }) },
      422,
      42201,
      /references are not supported/,
    ],
    [
      'a schema nested 100 000 levels deep',
      {
        body: {
          schemaType: 'JSON',
          schema: `${'['.repeat(100_000)}${']'.repeat(100_000)}`.replace(/^\[/, '{"items":[').replace(/\]$/, ']}'),
        },
      },
      422,
      42201,
      /nested/,
    ],
    [
      'a body nested 100 000 levels deep',
      { rawBody: `{"schema":"{}","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}` },
      400,
      400,
    ],
  ];
  for (const [name, options, status, code, message] of cases) {
    test(`register with ${name}: ${status} / ${code}`, async () => {
      assertConfluentError(await post('/subjects/bad/versions', options), status, code, message);
    });
  }

  test('the same checks guard lookups and compatibility checks', async () => {
    assertConfluentError(await post('/subjects/bad', { body: { schemaType: 'JSON' } }), 422, 422);
    assertConfluentError(await post('/subjects/bad', { body: { schemaType: 'AVRO', schema: '{}' } }), 422, 42201);
    assertConfluentError(await post('/compatibility/subjects/bad/versions', { body: jsonSchema({ type: 'strin' }) }), 422, 42201);
    assertConfluentError(await post('/compatibility/subjects/bad/versions/latest', { rawBody: '{' }), 400, 400);
  });

  test('bad parameters: subject, version, id, query flags', async () => {
    assertConfluentError(await call(h.url, 'GET', `/subjects/${encodeURIComponent('a\u0001b')}/versions`), 422, 42208);
    assertConfluentError(await call(h.url, 'GET', `/subjects/${encodeURIComponent('a\u0000b')}/versions`), 422, 42208);
    assertConfluentError(await call(h.url, 'GET', '/subjects/x/versions/1.5'), 422, 42202);
    assertConfluentError(await call(h.url, 'GET', '/subjects/x/versions/-2'), 422, 42202);
    assertConfluentError(await call(h.url, 'GET', '/schemas/ids/1e3'), 422, 422);
    assertConfluentError(await call(h.url, 'GET', '/schemas/ids/99999999999'), 422, 422);
    assertConfluentError(await call(h.url, 'GET', '/subjects?deleted=maybe'), 422, 422, /querystring\.deleted/);
    assertConfluentError(await call(h.url, 'GET', `/subjects?subjectPrefix=${encodeURIComponent('\u0000')}`), 422, 422);
  });

  test('a body over the size limit is 413', async () => {
    const huge = jsonSchema({ type: 'string', description: 'x'.repeat(1_100_000) });
    assertConfluentError(await post('/subjects/huge/versions', { body: huge }), 413, 413);
  });
});

describe('schemas the registry accepts', () => {
  test('draft-07 (default and explicit), draft-06, 2019-09 and 2020-12', async () => {
    const drafts = [
      {},
      { $schema: 'http://json-schema.org/draft-07/schema#' },
      { $schema: 'http://json-schema.org/draft-06/schema#' },
      { $schema: 'https://json-schema.org/draft/2019-09/schema' },
      { $schema: 'https://json-schema.org/draft/2020-12/schema', prefixItems: [{ type: 'string' }] },
    ];
    for (const [i, head] of drafts.entries()) {
      const res = await post(`/subjects/drafts-${i}/versions`, { body: jsonSchema({ ...head, type: 'array' }) });
      assert.equal(res.status, 200, res.text);
    }
  });

  test('unknown keywords and formats are kept, and the same $id may come back in a later version', async () => {
    const v1 = {
      $id: 'https://souk.example/order.json',
      type: 'object',
      'x-topic': 'orders',
      properties: { at: { type: 'string', format: 'date-time' } },
      additionalProperties: false,
    };
    assert.equal((await post('/subjects/ids/versions', { body: jsonSchema(v1) })).status, 200);
    const v2 = { ...v1, properties: { ...v1.properties, note: { type: 'string' } } };
    assert.equal((await post('/subjects/ids/versions', { body: jsonSchema(v2) })).status, 200);
  });
});

test('registrations are counted by outcome', async () => {
  // The counter holds the whole file's registrations: what this test adds is compared, one of each outcome.
  const counts = async () => {
    const metrics = await fetch(`${h.svc.adminUrl}/metrics`).then((r) => r.text());
    return Object.fromEntries(
      ['created', 'existing', 'incompatible', 'invalid', 'error'].map((outcome) => [
        outcome,
        Number(
          new RegExp(`souk_schema_registry_registrations_total\\{[^}]*outcome="${outcome}"[^}]*\\} (\\d+)`).exec(metrics)?.[1],
        ),
      ]),
    );
  };
  const before = await counts();
  assert.equal((await post('/subjects/counted/versions', { body: jsonSchema({ type: 'integer' }) })).status, 200);
  assert.equal((await post('/subjects/counted/versions', { body: jsonSchema({ type: 'integer' }) })).status, 200);
  assert.equal((await post('/subjects/counted/versions', { body: jsonSchema({ type: 'string' }) })).status, 409);
  assert.equal((await post('/subjects/counted/versions', { body: jsonSchema({ type: 'strin' }) })).status, 422);
  const after = await counts();
  assert.deepEqual(Object.fromEntries(Object.keys(after).map((outcome) => [outcome, after[outcome]! - before[outcome]!])), {
    created: 1,
    existing: 1,
    incompatible: 1,
    invalid: 1,
    error: 0,
  });
  assert.equal(after.error, 0);
});
