import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOrigins } from './cors.ts';

test('GATEWAY_CORS_ORIGINS takes origins as browsers send them and refuses anything else with the reason', () => {
  assert.deepEqual(parseOrigins(' http://localhost:5173 ,https://shop.example:8443,'), [
    'http://localhost:5173',
    'https://shop.example:8443',
  ]);
  assert.deepEqual(parseOrigins(''), []);
  for (const bad of ['https://shop.example/', 'https://shop.example/path', 'shop.example', 'ftp://shop.example', '*']) {
    assert.throws(() => parseOrigins(bad), /is not an origin/, bad);
  }
});
