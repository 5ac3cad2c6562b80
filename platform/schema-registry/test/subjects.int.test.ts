// Subjects, versions and schemas by id against a real database: registration
// and its ids, reads, lookups, soft and permanent deletes.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertConfluentError, call, jsonSchema, startRegistry, type Harness } from './harness.ts';

let h: Harness;
const req = (method: string, path: string, body?: unknown) => call(h.url, method, path, body === undefined ? {} : { body });

before(async () => {
  h = await startRegistry('sr_subjects');
});
after(async () => {
  await h.close();
});

const order = (n: number) => ({
  type: 'object',
  properties: { orderId: { type: 'string' }, lines: { type: 'integer', maximum: n } },
});

describe('registration and ids', () => {
  test('registering answers a global id; the same schema again answers the same id without a new version', async () => {
    const first = await req('POST', '/subjects/reg-a/versions', jsonSchema(order(10)));
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(Object.keys(first.json), ['id']);
    const again = await req('POST', '/subjects/reg-a/versions', jsonSchema(order(10)));
    assert.equal(again.json.id, first.json.id);
    // Whitespace does not make another schema: the text is stored compact.
    const spaced = await req('POST', '/subjects/reg-a/versions', {
      schemaType: 'JSON',
      schema: JSON.stringify(order(10), null, 2),
    });
    assert.equal(spaced.json.id, first.json.id);
    assert.deepEqual((await req('GET', '/subjects/reg-a/versions')).json, [1]);
  });

  test('the same schema under another subject reuses the global id, as version 1 there', async () => {
    const a = await req('POST', '/subjects/reg-b/versions', jsonSchema(order(20)));
    const b = await req('POST', '/subjects/reg-c/versions', jsonSchema(order(20)));
    assert.equal(b.json.id, a.json.id);
    assert.equal((await req('GET', '/subjects/reg-c/versions/1')).json.id, a.json.id);
    const uses = await req('GET', `/schemas/ids/${a.json.id}/versions`);
    assert.deepEqual(uses.json, [
      { subject: 'reg-b', version: 1 },
      { subject: 'reg-c', version: 1 },
    ]);
    assert.deepEqual((await req('GET', `/schemas/ids/${a.json.id}/subjects`)).json, ['reg-b', 'reg-c']);
  });

  test('normalize=true treats reordered keys as the same schema', async () => {
    const a = await req('POST', '/subjects/reg-norm/versions?normalize=true', {
      schemaType: 'JSON',
      schema: '{"type":"string","maxLength":5}',
    });
    const b = await req('POST', '/subjects/reg-norm/versions?normalize=true', {
      schemaType: 'JSON',
      schema: '{"maxLength":5,"type":"string"}',
    });
    assert.equal(b.json.id, a.json.id);
    assert.deepEqual((await req('GET', '/subjects/reg-norm/versions')).json, [1]);
  });

  test('a subject name is taken from the URL-encoded path, slashes and all', async () => {
    const res = await req(
      'POST',
      `/subjects/${encodeURIComponent('souk.catalog/PriceChanged value')}/versions`,
      jsonSchema({ type: 'object' }),
    );
    assert.equal(res.status, 200, res.text);
    assert.ok((await req('GET', '/subjects')).json.includes('souk.catalog/PriceChanged value'));
  });
});

describe('reading', () => {
  before(async () => {
    await req('PUT', '/config/read', { compatibility: 'NONE' });
    for (const n of [1, 2, 3]) await req('POST', '/subjects/read/versions', jsonSchema(order(n)));
  });

  test('versions list, by number, "latest" and -1, and the unwrapped schema', async () => {
    assert.deepEqual((await req('GET', '/subjects/read/versions')).json, [1, 2, 3]);
    const second = await req('GET', '/subjects/read/versions/2');
    assert.equal(second.status, 200);
    assert.deepEqual(Object.keys(second.json), ['subject', 'id', 'version', 'schemaType', 'schema']);
    assert.equal(second.json.subject, 'read');
    assert.equal(second.json.version, 2);
    assert.equal(second.json.schemaType, 'JSON');
    assert.deepEqual(JSON.parse(second.json.schema), order(2));
    assert.equal((await req('GET', '/subjects/read/versions/latest')).json.version, 3);
    assert.equal((await req('GET', '/subjects/read/versions/-1')).json.version, 3);
    const raw = await req('GET', '/subjects/read/versions/3/schema');
    assert.deepEqual(raw.json, order(3));
    assert.deepEqual((await req('GET', '/subjects/read/versions/3/referencedby')).json, []);
  });

  test('schemas by id, wrapped and raw; types', async () => {
    const id = (await req('GET', '/subjects/read/versions/1')).json.id;
    const byId = await req('GET', `/schemas/ids/${id}`);
    assert.deepEqual(byId.json, { schema: JSON.stringify(order(1)), schemaType: 'JSON' });
    assert.deepEqual((await req('GET', `/schemas/ids/${id}/schema`)).json, order(1));
    assert.deepEqual((await req('GET', '/schemas/types')).json, ['JSON']);
  });

  test('unknown subject, version and id', async () => {
    assertConfluentError(await req('GET', '/subjects/nobody/versions'), 404, 40401, /Subject 'nobody' not found/);
    assertConfluentError(await req('GET', '/subjects/nobody/versions/1'), 404, 40401);
    assertConfluentError(await req('GET', '/subjects/read/versions/9'), 404, 40402, /Version 9 not found/);
    assertConfluentError(await req('GET', '/subjects/read/versions/0'), 422, 42202);
    assertConfluentError(await req('GET', '/subjects/read/versions/2147483648'), 422, 42202);
    assertConfluentError(await req('GET', '/schemas/ids/99999'), 404, 40403, /Schema 99999 not found/);
    assertConfluentError(await req('GET', '/schemas/ids/99999/versions'), 404, 40403);
    assertConfluentError(await req('GET', '/schemas/ids/0'), 422, 422);
  });

  test('subjects can be filtered by prefix', async () => {
    const res = await req('GET', '/subjects?subjectPrefix=rea');
    assert.deepEqual(res.json, ['read']);
  });
});

describe('lookup (POST /subjects/{subject})', () => {
  before(async () => {
    await req('POST', '/subjects/look/versions', jsonSchema(order(7)));
  });

  test('a registered schema answers its version', async () => {
    const res = await req('POST', '/subjects/look', jsonSchema(order(7)));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.subject, 'look');
    assert.equal(res.json.version, 1);
    assert.equal(res.json.schemaType, 'JSON');
    assert.deepEqual(JSON.parse(res.json.schema), order(7));
  });

  test('an unregistered schema is 40403, an unknown subject 40401', async () => {
    assertConfluentError(await req('POST', '/subjects/look', jsonSchema(order(8))), 404, 40403, /Schema not found/);
    assertConfluentError(await req('POST', '/subjects/nobody', jsonSchema(order(7))), 404, 40401);
  });
});

describe('deleting', () => {
  before(async () => {
    await req('PUT', '/config/del', { compatibility: 'NONE' });
    for (const n of [1, 2, 3]) await req('POST', '/subjects/del/versions', jsonSchema(order(100 + n)));
  });

  test('a version is soft-deleted, then permanently; each step in order', async () => {
    const id = (await req('GET', '/subjects/del/versions/2')).json.id;
    assertConfluentError(await req('DELETE', '/subjects/del/versions/2?permanent=true'), 404, 40407, /was not deleted first/);
    const soft = await req('DELETE', '/subjects/del/versions/2');
    assert.equal(soft.status, 200);
    assert.equal(soft.json, 2);
    assert.deepEqual((await req('GET', '/subjects/del/versions')).json, [1, 3]);
    assert.deepEqual((await req('GET', '/subjects/del/versions?deleted=true')).json, [1, 2, 3]);
    assertConfluentError(await req('GET', '/subjects/del/versions/2'), 404, 40402);
    assert.equal((await req('GET', '/subjects/del/versions/2?deleted=true')).json.version, 2);
    // A consumer decoding old messages still finds the schema by id.
    assert.equal((await req('GET', `/schemas/ids/${id}`)).status, 200);
    assertConfluentError(await req('DELETE', '/subjects/del/versions/2'), 404, 40406, /was soft deleted/);
    assert.equal((await req('DELETE', '/subjects/del/versions/2?permanent=true')).json, 2);
    assert.deepEqual((await req('GET', '/subjects/del/versions?deleted=true')).json, [1, 3]);
    assertConfluentError(await req('GET', `/schemas/ids/${id}`), 404, 40403);
    assertConfluentError(await req('DELETE', '/subjects/del/versions/2?permanent=true'), 404, 40402);
  });

  test('a soft-deleted schema registered again gets a new version number, never a reused one', async () => {
    await req('DELETE', '/subjects/del/versions/3');
    const again = await req('POST', '/subjects/del/versions', jsonSchema(order(103)));
    assert.equal(again.status, 200);
    assert.deepEqual((await req('GET', '/subjects/del/versions')).json, [1, 4]);
  });

  test('a subject is soft-deleted, then permanently, and forgets its level', async () => {
    await req('PUT', '/config/gone', { compatibility: 'FULL' });
    await req('POST', '/subjects/gone/versions', jsonSchema(order(1)));
    assertConfluentError(await req('DELETE', '/subjects/gone?permanent=true'), 404, 40405, /was not deleted first/);
    assert.deepEqual((await req('DELETE', '/subjects/gone')).json, [1]);
    assert.ok(!(await req('GET', '/subjects')).json.includes('gone'));
    assert.ok((await req('GET', '/subjects?deleted=true')).json.includes('gone'));
    assertConfluentError(await req('GET', '/subjects/gone/versions'), 404, 40401);
    assertConfluentError(await req('DELETE', '/subjects/gone'), 404, 40404, /was soft deleted/);
    assert.deepEqual((await req('DELETE', '/subjects/gone?permanent=true')).json, [1]);
    assertConfluentError(await req('DELETE', '/subjects/gone?permanent=true'), 404, 40401);
    assertConfluentError(await req('GET', '/config/gone'), 404, 40408);
    assert.ok(!(await req('GET', '/subjects?deleted=true')).json.includes('gone'));
  });
});
