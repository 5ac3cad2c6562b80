// Compatibility levels (config) and checks over HTTP: the PriceChanged
// evolution, 409 with reasons, check endpoints, transitive levels, and the
// two environment settings.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertConfluentError, call, jsonSchema, priceChanged, startRegistry, type Harness } from './harness.ts';

let h: Harness;
const req = (method: string, path: string, body?: unknown) => call(h.url, method, path, body === undefined ? {} : { body });

before(async () => {
  h = await startRegistry('sr_compat');
});
after(async () => {
  await h.close();
});

describe('config', () => {
  test('the global level defaults to BACKWARD, can be set in any case and reset', async () => {
    assert.deepEqual((await req('GET', '/config')).json, { compatibilityLevel: 'BACKWARD' });
    assert.deepEqual((await req('PUT', '/config', { compatibility: 'full_transitive' })).json, {
      compatibility: 'FULL_TRANSITIVE',
    });
    assert.deepEqual((await req('GET', '/config')).json, { compatibilityLevel: 'FULL_TRANSITIVE' });
    assert.deepEqual((await req('DELETE', '/config')).json, { compatibilityLevel: 'FULL_TRANSITIVE' });
    assert.deepEqual((await req('GET', '/config')).json, { compatibilityLevel: 'BACKWARD' });
  });

  test('a subject level: 40408 until set, defaultToGlobal answers the global one, delete reverts', async () => {
    assertConfluentError(await req('GET', '/config/cfg'), 404, 40408, /does not have subject-level compatibility configured/);
    assert.deepEqual((await req('GET', '/config/cfg?defaultToGlobal=true')).json, { compatibilityLevel: 'BACKWARD' });
    assert.deepEqual((await req('PUT', '/config/cfg', { compatibility: 'FORWARD' })).json, { compatibility: 'FORWARD' });
    assert.deepEqual((await req('GET', '/config/cfg')).json, { compatibilityLevel: 'FORWARD' });
    assert.deepEqual((await req('DELETE', '/config/cfg')).json, { compatibilityLevel: 'FORWARD' });
    assertConfluentError(await req('GET', '/config/cfg'), 404, 40408);
    assertConfluentError(await req('DELETE', '/config/cfg'), 404, 40401);
  });

  test('every level is accepted; anything else is 42203', async () => {
    for (const level of ['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE', 'NONE']) {
      assert.deepEqual((await req('PUT', '/config/levels', { compatibility: level })).json, { compatibility: level });
    }
    assertConfluentError(
      await req('PUT', '/config/levels', { compatibility: 'SIDEWAYS' }),
      422,
      42203,
      /Invalid compatibility level/,
    );
    assertConfluentError(await req('PUT', '/config', { compatibility: '' }), 422, 42203);
    assertConfluentError(await req('PUT', '/config', { compatibility: 3 }), 422, 422);
    assertConfluentError(await req('PUT', '/config', {}), 422, 422, /compatibility/);
  });

  test('the mode is always READWRITE', async () => {
    assert.deepEqual((await req('GET', '/mode')).json, { mode: 'READWRITE' });
    assert.deepEqual((await req('GET', '/mode/any')).json, { mode: 'READWRITE' });
  });
});

describe('PriceChanged evolution under BACKWARD', () => {
  test('v2 adding an optional reason is accepted (closed content model, as souk producers register)', async () => {
    const subject = 'souk.catalog.PriceChanged-closed';
    const v1 = await req('POST', `/subjects/${subject}/versions`, jsonSchema(priceChanged(1, true)));
    const v2 = await req('POST', `/subjects/${subject}/versions`, jsonSchema(priceChanged(2, true)));
    assert.equal(v2.status, 200, v2.text);
    assert.notEqual(v2.json.id, v1.json.id);
    assert.deepEqual((await req('GET', `/subjects/${subject}/versions`)).json, [1, 2]);
  });

  test('v2 adding an optional property to an open content model is refused, as Confluent refuses it', async () => {
    const subject = 'souk.catalog.PriceChanged-open';
    assert.equal((await req('POST', `/subjects/${subject}/versions`, jsonSchema(priceChanged(1)))).status, 200);
    const refused = await req('POST', `/subjects/${subject}/versions`, jsonSchema(priceChanged(2)));
    assertConfluentError(refused, 409, 409, /OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL at #\/properties\/reason/);
    await req('PUT', `/config/${subject}`, { compatibility: 'NONE' });
    assert.equal((await req('POST', `/subjects/${subject}/versions`, jsonSchema(priceChanged(2)))).status, 200);
    await req('PUT', `/config/${subject}`, { compatibility: 'BACKWARD' });
  });

  test('v3 dropping the required currency is refused with a reason naming it (closed model)', async () => {
    const subject = 'souk.catalog.PriceChanged-closed';
    const res = await req('POST', `/subjects/${subject}/versions`, jsonSchema(priceChanged(3, true)));
    assertConfluentError(
      res,
      409,
      409,
      /^Schema being registered is incompatible with an earlier schema for subject "souk\.catalog\.PriceChanged-closed", details: \[/,
    );
    assert.match(
      res.json.message,
      /PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL at #\/properties\/currency: version 2 has the property "currency"/,
    );
    assert.match(res.json.message, /\{oldSchemaVersion: 2\}, \{compatibility: 'BACKWARD'\}\]$/);
    assert.deepEqual((await req('GET', `/subjects/${subject}/versions`)).json, [1, 2]);

    const check = await req(
      'POST',
      `/compatibility/subjects/${subject}/versions/latest?verbose=true`,
      jsonSchema(priceChanged(3, true)),
    );
    assert.equal(check.status, 200);
    assert.equal(check.json.is_compatible, false);
    assert.equal(check.json.messages.length, 1);
    assert.match(check.json.messages[0], /^PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL at #\/properties\/currency: /);
  });

  test('v3 with an open model: BACKWARD accepts it (its reader ignores currency), FULL refuses it naming currency', async () => {
    const subject = 'souk.catalog.PriceChanged-open';
    const backward = await req(
      'POST',
      `/compatibility/subjects/${subject}/versions/latest?verbose=true`,
      jsonSchema(priceChanged(3)),
    );
    assert.equal(backward.json.is_compatible, true, 'BACKWARD: the new schema reads old data');
    await req('PUT', `/config/${subject}`, { compatibility: 'FULL' });
    const refused = await req('POST', `/subjects/${subject}/versions`, jsonSchema(priceChanged(3)));
    assertConfluentError(
      refused,
      409,
      409,
      /REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL at #\/properties\/currency: version 2 requires the property "currency"/,
    );
  });
});

describe('compatibility checks', () => {
  before(async () => {
    await req('PUT', '/config/chk', { compatibility: 'NONE' });
    await req('POST', '/subjects/chk/versions', jsonSchema({ type: 'string', maxLength: 100 }));
    await req('POST', '/subjects/chk/versions', jsonSchema({ type: 'string', maxLength: 10 }));
    await req('PUT', '/config/chk', { compatibility: 'BACKWARD' });
  });

  test('without verbose only the verdict; with it the reasons', async () => {
    const narrow = jsonSchema({ type: 'string', maxLength: 5 });
    assert.deepEqual((await req('POST', '/compatibility/subjects/chk/versions/latest', narrow)).json, { is_compatible: false });
    const verbose = await req('POST', '/compatibility/subjects/chk/versions/2?verbose=true', narrow);
    assert.deepEqual(verbose.json, {
      is_compatible: false,
      messages: ['MAX_LENGTH_DECREASED at #/maxLength: the new schema allows at most 5 characters, version 2 10'],
    });
    assert.deepEqual(
      (await req('POST', '/compatibility/subjects/chk/versions/1?verbose=true', jsonSchema({ type: 'string' }))).json,
      { is_compatible: true, messages: [] },
    );
  });

  test('against "all versions": the latest for plain levels, every one for transitive levels', async () => {
    const same = jsonSchema({ type: 'string', maxLength: 10 });
    assert.deepEqual((await req('POST', '/compatibility/subjects/chk/versions', same)).json, { is_compatible: true });
    await req('PUT', '/config/chk', { compatibility: 'BACKWARD_TRANSITIVE' });
    const transitive = await req(
      'POST',
      '/compatibility/subjects/chk/versions?verbose=true',
      jsonSchema({ type: 'string', maxLength: 20 }),
    );
    assert.equal(transitive.json.is_compatible, false);
    assert.match(transitive.json.messages[0], /MAX_LENGTH_DECREASED at #\/maxLength: .*version 1 100/);
    assertConfluentError(await req('POST', '/subjects/chk/versions', jsonSchema({ type: 'string', maxLength: 20 })), 409, 409);
    await req('PUT', '/config/chk', { compatibility: 'BACKWARD' });
    assert.equal((await req('POST', '/subjects/chk/versions', jsonSchema({ type: 'string', maxLength: 20 }))).status, 200);
  });

  test('a subject with no versions accepts anything; named versions must exist', async () => {
    assert.deepEqual((await req('POST', '/compatibility/subjects/fresh/versions', jsonSchema({ type: 'integer' }))).json, {
      is_compatible: true,
    });
    assertConfluentError(
      await req('POST', '/compatibility/subjects/fresh/versions/latest', jsonSchema({ type: 'integer' })),
      404,
      40401,
    );
    assertConfluentError(
      await req('POST', '/compatibility/subjects/chk/versions/42', jsonSchema({ type: 'integer' })),
      404,
      40402,
    );
    assertConfluentError(
      await req('POST', '/compatibility/subjects/chk/versions/x', jsonSchema({ type: 'integer' })),
      422,
      42202,
    );
    assertConfluentError(await req('POST', '/compatibility/subjects/chk/versions/latest', jsonSchema('{')), 422, 42201);
  });

  test('NONE accepts any change; FORWARD checks the other way', async () => {
    await req('PUT', '/config/dir', { compatibility: 'NONE' });
    await req('POST', '/subjects/dir/versions', jsonSchema({ type: 'integer' }));
    assert.equal((await req('POST', '/subjects/dir/versions', jsonSchema({ type: 'string' }))).status, 200);
    await req('PUT', '/config/dir', { compatibility: 'FORWARD' });
    // string → number: the old reader (string) cannot read numbers.
    assertConfluentError(
      await req('POST', '/subjects/dir/versions', jsonSchema({ type: 'number' })),
      409,
      409,
      /TYPE_CHANGED at #\//,
    );
  });
});

describe('environment', () => {
  test('SCHEMA_REGISTRY_OPEN_CONTENT_MODEL=confluent refuses a property added to an open model; the default level comes from the environment', async () => {
    const strict = await startRegistry('sr_compat_env', {
      SCHEMA_REGISTRY_OPEN_CONTENT_MODEL: 'confluent',
      SCHEMA_REGISTRY_DEFAULT_COMPATIBILITY: 'FULL',
    });
    try {
      assert.deepEqual((await call(strict.url, 'GET', '/config')).json, { compatibilityLevel: 'FULL' });
      await call(strict.url, 'PUT', '/config/p', { body: { compatibility: 'BACKWARD' } });
      await call(strict.url, 'POST', '/subjects/p/versions', { body: jsonSchema(priceChanged(1)) });
      const refused = await call(strict.url, 'POST', '/subjects/p/versions', { body: jsonSchema(priceChanged(2)) });
      assertConfluentError(refused, 409, 409, /OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL at #\/properties\/reason/);
    } finally {
      await strict.close();
    }
  });
});
