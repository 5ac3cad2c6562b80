// Shared set-up of the schema registry's integration tests: a throwaway
// database, a running instance trusting a test issuer's keys, and HTTP
// helpers that speak its media type (with an admin's token unless told otherwise).

import assert from 'node:assert/strict';
import { startService, type RunningServiceOf } from '@souk/chassis';
import {
  call as httpCall,
  createTestDatabase,
  createTestIssuer,
  type Answer,
  type CallOptions,
  type TestDatabase,
  type TestIssuer,
} from '@souk/chassis/testing';
import { SCHEMA_REGISTRY_CONTENT_TYPE } from '../contract.ts';
import { schemaRegistryService } from '../src/service.ts';

export interface Harness {
  svc: RunningServiceOf<typeof schemaRegistryService>;
  database: TestDatabase;
  url: string;
  /** Signs the tokens the registry accepts (admin, producers). */
  issuer: TestIssuer;
  close(): Promise<void>;
}

/** The issuer every harness shares, so that `call` can sign an admin's token without being handed one. */
let shared: Promise<TestIssuer> | undefined;
export const testIssuer = (): Promise<TestIssuer> => (shared ??= createTestIssuer());

/** An operator's token: role admin, which may change anything in the registry. */
export const adminToken = async (): Promise<string> => (await testIssuer()).token({ roles: ['admin'] });

export async function startRegistry(label: string, env: Record<string, string> = {}): Promise<Harness> {
  const database = await createTestDatabase(label);
  const issuer = await testIssuer();
  const svc = await startService(schemaRegistryService, { env: { DATABASE_URL: database.url, LOG_LEVEL: 'silent', ...env } });
  svc.ctx.auth.setKeySource(issuer.keySource);
  return {
    svc,
    database,
    url: svc.url,
    issuer,
    async close() {
      await svc.stop();
      await database.drop();
    },
  };
}

export type { Answer };

/**
 * A call with the registry's content type on bodies unless told otherwise, and an admin's token
 * (the tests of the Confluent API are not about who may write; write-access.int.test.ts is).
 * `anonymous: true` sends none.
 */
export const call = async (
  base: string,
  method: string,
  path: string,
  options: CallOptions & { anonymous?: boolean } = {},
): Promise<Answer> => {
  const { anonymous, ...rest } = options;
  const token = anonymous ? undefined : (rest.token ?? (await adminToken()));
  return httpCall(base, method, path, { contentType: SCHEMA_REGISTRY_CONTENT_TYPE, ...rest, ...(token ? { token } : {}) });
};

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
