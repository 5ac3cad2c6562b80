// Registrations racing each other, on one instance and on two sharing a
// database: one schema yields one id and one version however many producers
// register it at the same moment.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startService, type RunningService } from '@souk/chassis';
import { schemaRegistryService } from '../src/service.ts';
import { call, jsonSchema, startRegistry, type Harness } from './harness.ts';

let h: Harness;
let second: RunningService<unknown>;

before(async () => {
  h = await startRegistry('sr_race');
  // A second instance on the same database: the lock must hold across processes' connections, not just in memory.
  second = await startService(schemaRegistryService, { env: { DATABASE_URL: h.database.url, LOG_LEVEL: 'silent' } });
  second.ctx.auth.setKeySource(h.issuer.keySource);
});
after(async () => {
  await second.stop();
  await h.close();
});

const event = (field: string) => ({
  type: 'object',
  properties: { id: { type: 'string' }, [field]: { type: 'integer' } },
  required: ['id'],
});
const bases = () => [h.url, second.url];

test('twenty producers registering the same new schema get one id and the subject one version', async () => {
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      call(bases()[i % 2]!, 'POST', '/subjects/race-same/versions', { body: jsonSchema(event('a')) }),
    ),
  );
  for (const a of answers) assert.equal(a.status, 200, a.text);
  assert.equal(new Set(answers.map((a) => a.json.id)).size, 1);
  assert.deepEqual((await call(h.url, 'GET', '/subjects/race-same/versions')).json, [1]);
});

test('the same schema registered under many subjects at once shares one global id', async () => {
  const answers = await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      call(bases()[i % 2]!, 'POST', `/subjects/race-subject-${i}/versions`, { body: jsonSchema(event('b')) }),
    ),
  );
  for (const a of answers) assert.equal(a.status, 200, a.text);
  assert.equal(new Set(answers.map((a) => a.json.id)).size, 1);
  const uses = await call(h.url, 'GET', `/schemas/ids/${answers[0]!.json.id}/versions`);
  assert.equal(uses.json.length, 12);
});

test('different schemas racing into one subject get consecutive versions, each once', async () => {
  await call(h.url, 'PUT', '/config/race-many', { body: { compatibility: 'NONE' } });
  const fields = Array.from({ length: 10 }, (_, i) => `f${i}`);
  const answers = await Promise.all(
    [...fields, ...fields].map((f, i) =>
      call(bases()[i % 2]!, 'POST', '/subjects/race-many/versions', { body: jsonSchema(event(f)) }),
    ),
  );
  for (const a of answers) assert.equal(a.status, 200, a.text);
  assert.equal(new Set(answers.map((a) => a.json.id)).size, 10);
  assert.deepEqual((await call(h.url, 'GET', '/subjects/race-many/versions')).json, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});
