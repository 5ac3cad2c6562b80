// Shared set-up of the payment provider's integration tests: a throwaway
// database, key files in a temporary folder, a running instance, and calls
// made with the merchant or admin key.

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, type RunningServiceOf } from '@souk/chassis';
import { call, createTestDatabase, type Answer, type TestDatabase } from '@souk/chassis/testing';
import { paymentProviderService } from '../src/service.ts';

export interface Provider {
  svc: RunningServiceOf<typeof paymentProviderService>;
  database: TestDatabase;
  merchantKey: string;
  adminKey: string;
  /** A POST with the merchant key and, unless given as null, a fresh Idempotency-Key. */
  post(path: string, body?: unknown, options?: { key?: string | null; auth?: string | null }): Promise<Answer>;
  get(path: string, options?: { auth?: string | null }): Promise<Answer>;
  /** Changes the behaviour with the admin key; throws when refused. */
  behave(change: Record<string, unknown>): Promise<Answer>;
  close(): Promise<void>;
}

export const newKey = () => `test-${randomUUID()}`;
export const newReference = () => `pay_${randomUUID()}`;

export async function startProvider(label: string, env: Record<string, string> = {}): Promise<Provider> {
  const database = await createTestDatabase(label);
  const dir = await mkdtemp(join(tmpdir(), 'souk-provider-'));
  const merchantKey = `sk_test_${randomBytes(16).toString('hex')}`;
  const adminKey = `admin_${randomBytes(16).toString('hex')}`;
  await writeFile(join(dir, 'api-key'), `${merchantKey}\n`);
  await writeFile(join(dir, 'admin-key'), `${adminKey}\n`);
  let svc: RunningServiceOf<typeof paymentProviderService>;
  try {
    svc = await startService(paymentProviderService, {
      env: {
        DATABASE_URL: database.url,
        LOG_LEVEL: 'silent',
        PAYMENT_PROVIDER_API_KEY_FILE: join(dir, 'api-key'),
        PAYMENT_PROVIDER_ADMIN_KEY_FILE: join(dir, 'admin-key'),
        ...env,
      },
    });
  } catch (err) {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const authHeader = (auth: string | null | undefined, fallback: string): Record<string, string> =>
    auth === null ? {} : { authorization: `Bearer ${auth ?? fallback}` };
  return {
    svc,
    database,
    merchantKey,
    adminKey,
    post: (path, body, options = {}) =>
      call(svc.url, 'POST', path, {
        ...(body === undefined ? {} : { body }),
        headers: {
          ...authHeader(options.auth, merchantKey),
          ...(options.key === null ? {} : { 'idempotency-key': options.key ?? newKey() }),
        },
      }),
    get: (path, options = {}) => call(svc.url, 'GET', path, { headers: authHeader(options.auth, merchantKey) }),
    async behave(change) {
      const res = await call(svc.url, 'PATCH', '/v1/_admin/behaviour', {
        body: change,
        headers: { authorization: `Bearer ${adminKey}` },
      });
      if (res.status !== 200) throw new Error(`behaviour change refused: ${res.status} ${res.text}`);
      return res;
    },
    async close() {
      await svc.stop();
      await database.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** An authorization of `amount` EUR cents with tok_visa; asserts it was approved. */
export async function authorize(p: Provider, amount = 5_000, reference = newReference()): Promise<any> {
  const res = await p.post('/v1/authorizations', { amount, currency: 'EUR', paymentMethod: 'tok_visa', reference });
  if (res.status !== 201) throw new Error(`authorization failed: ${res.status} ${res.text}`);
  return res.json;
}

export { assertProblem, call, waitFor, type Answer } from '@souk/chassis/testing';
