// Shared set-up of the catalog's integration tests: a throwaway database, a
// running catalog instance, a token issuer, and small HTTP helpers.

import assert from 'node:assert/strict';
import { startService, type RunningService } from '@souk/chassis';
import { createTestDatabase, createTestIssuer, type TestDatabase, type TestIssuer } from '@souk/chassis/testing';
import { catalogService } from '../src/service.ts';

export interface Harness {
  svc: RunningService<{ CATALOG_SEED: boolean }>;
  database: TestDatabase;
  issuer: TestIssuer;
  adminToken: string;
  customerToken: string;
  close(): Promise<void>;
}

export async function startCatalog(label: string, env: Record<string, string> = {}): Promise<Harness> {
  const database = await createTestDatabase(label);
  const issuer = await createTestIssuer();
  const svc = await startCatalogOn(database.url, issuer, env);
  return {
    svc,
    database,
    issuer,
    adminToken: await issuer.token({ roles: ['admin'] }),
    customerToken: await issuer.token(),
    async close() {
      await svc.stop();
      await database.drop();
    },
  };
}

/** Another instance on an existing database (for tests of several instances). */
export async function startCatalogOn(databaseUrl: string, issuer: TestIssuer, env: Record<string, string> = {}) {
  const svc = await startService(catalogService, { env: { DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', ...env } });
  svc.ctx.auth.setKeySource(issuer.keySource);
  return svc;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // Tests read whatever the API answered; the contract types are checked by the routes.
  json: any;
}

export async function call(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  const isJson = /json/.test(res.headers.get('content-type') ?? '');
  return { status: res.status, headers: res.headers, text, json: isJson && text ? JSON.parse(text) : undefined };
}

export function assertProblem(res: Answer, status: number, code: string): void {
  assert.equal(res.status, status, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(res.json.code, code, res.text);
  assert.equal(res.json.status, status);
  assert.equal(res.json.type, `urn:souk:problem:${code}`);
  assert.equal(typeof res.json.detail, 'string');
}
