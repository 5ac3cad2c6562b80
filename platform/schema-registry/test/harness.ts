// Shared set-up of the schema registry's integration tests: a throwaway
// database, a running instance, and HTTP helpers that speak its media type.

import assert from 'node:assert/strict';
import { startService, type RunningServiceOf } from '@souk/chassis';
import { call as httpCall, createTestDatabase, type Answer, type CallOptions, type TestDatabase } from '@souk/chassis/testing';
import { SCHEMA_REGISTRY_CONTENT_TYPE } from '../contract.ts';
import { schemaRegistryService } from '../src/service.ts';

export interface Harness {
  svc: RunningServiceOf<typeof schemaRegistryService>;
  database: TestDatabase;
  url: string;
  close(): Promise<void>;
}

export async function startRegistry(label: string, env: Record<string, string> = {}): Promise<Harness> {
  const database = await createTestDatabase(label);
  const svc = await startService(schemaRegistryService, { env: { DATABASE_URL: database.url, LOG_LEVEL: 'silent', ...env } });
  return {
    svc,
    database,
    url: svc.url,
    async close() {
      await svc.stop();
      await database.drop();
    },
  };
}

export type { Answer };

/** A call with the registry's content type on bodies unless told otherwise. */
export const call = (base: string, method: string, path: string, options: CallOptions = {}): Promise<Answer> =>
  httpCall(base, method, path, { contentType: SCHEMA_REGISTRY_CONTENT_TYPE, ...options });

/** A Confluent error: the HTTP status, its `error_code`, a message, and the registry's content type. */
export function assertConfluentError(res: Answer, status: number, errorCode: number, message?: RegExp): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.headers.get('content-type'), SCHEMA_REGISTRY_CONTENT_TYPE);
  assert.equal(res.json.error_code, errorCode, res.text);
  assert.equal(typeof res.json.message, 'string');
  assert.deepEqual(Object.keys(res.json).sort(), ['error_code', 'message']);
  if (message) assert.match(res.json.message, message);
}

/** The request body registering `schema` (an object, sent as its JSON text). */
export function jsonSchema(schema: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schemaType: 'JSON', schema: JSON.stringify(schema), ...extra };
}

/** PriceChanged as TypeBox generates it: v2 adds an optional reason, v3 drops the required currency. */
export function priceChanged(version: 1 | 2 | 3, closed = false): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    productId: { type: 'string' },
    oldPriceCents: { type: 'integer' },
    newPriceCents: { type: 'integer' },
    currency: { type: 'string' },
  };
  const required = ['productId', 'oldPriceCents', 'newPriceCents', 'currency'];
  if (version >= 2) properties.reason = { type: 'string' };
  if (version === 3) {
    delete properties.currency;
    required.pop();
  }
  return { type: 'object', properties, required, ...(closed ? { additionalProperties: false } : {}) };
}
