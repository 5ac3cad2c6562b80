// Shared set-up of the catalog's integration tests: a throwaway database, a
// running catalog instance, a token issuer, and small HTTP helpers.

import { startService, type RunningServiceOf } from '@souk/chassis';
import { createTestDatabase, createTestIssuer, type TestDatabase, type TestIssuer } from '@souk/chassis/testing';
import { catalogService } from '../src/service.ts';

export interface Harness {
  svc: RunningServiceOf<typeof catalogService>;
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

export { call, assertProblem, type Answer } from '@souk/chassis/testing';
