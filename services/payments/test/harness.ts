// Shared set-up of the payments integration tests: the REAL payment provider
// in-process (its own database and key files), a payments instance that finds
// it through STATIC_SERVICES, a token issuer, a clock the test can move, and
// calls with a service token granted every payments capability.

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  defineService,
  eventsReadScope,
  startService,
  type Capability,
  type RunningService,
  type RunningServiceOf,
} from '@souk/chassis';
import { ShipmentFailed } from '@souk/shipping/contract';
import {
  call,
  createTestDatabase,
  createTestIssuer,
  type Answer,
  type TestDatabase,
  type TestIssuer,
} from '@souk/chassis/testing';
// Test-only: the provider is a third party to payments' code, which knows it by its HTTP API alone.
import { paymentProviderService } from '../../payment-provider/src/service.ts';
import { paymentsService } from '../src/service.ts';

export const API = '/api/v1/payments';

/** Signs every token of these tests; stand-in producers check the consumer's token with its keys too. */
export const issuer: TestIssuer = await createTestIssuer();

/** Every capability payments' routes know (a route needs exactly one of them). */
export const PAYMENT_CAPABILITIES: readonly Capability[] = [
  'payments:authorize',
  'payments:capture',
  'payments:void',
  'payments:refund',
  'payments:cancel',
  'payments:read',
];

export interface Provider {
  svc: RunningServiceOf<typeof paymentProviderService>;
  merchantKey: string;
  /** PATCH /v1/_admin/behaviour with the admin key. */
  behave(change: Record<string, unknown>): Promise<void>;
  /** GET /v1/charges?reference=: what the provider actually did for a payment. */
  charges(paymentId: string): Promise<{
    authorizations: any[];
    captures: any[];
    refunds: any[];
    amountCaptured: number;
    amountRefunded: number;
    net: number;
  }>;
  /** A POST straight to the provider with the merchant key (to set up what a lost answer leaves behind). */
  post(path: string, body: unknown, idempotencyKey: string): Promise<Answer>;
}

export interface Harness {
  payments: RunningServiceOf<typeof paymentsService>;
  provider: Provider;
  issuer: TestIssuer;
  /** A service token granted every payments capability (the default of post and get). */
  serviceToken: string;
  adminToken: string;
  /** Moves payments' clock (its events' recorded_at) forward. */
  advance(ms: number): void;
  now(): number;
  post(path: string, body?: unknown, token?: string | null): Promise<Answer>;
  get(path: string, token?: string | null): Promise<Answer>;
  query<T = any>(text: string, values?: unknown[]): Promise<T[]>;
  /** Another payments instance on the same database, provider and settings (plus `env`); stopped by close(). */
  startInstance(env?: Record<string, string>): Promise<RunningServiceOf<typeof paymentsService>>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  /** Extra STATIC_SERVICES entries (e.g. a shipping producer). */
  services?: Record<string, string>;
}

export async function startPayments(label: string, options: HarnessOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'souk-payments-'));
  const merchantKey = `sk_test_${randomBytes(16).toString('hex')}`;
  const adminKey = `admin_${randomBytes(16).toString('hex')}`;
  await writeFile(join(dir, 'api-key'), `${merchantKey}\n`);
  await writeFile(join(dir, 'admin-key'), `${adminKey}\n`);
  const databases: TestDatabase[] = [];
  const running: RunningService[] = [];
  let offset = 0;
  const clock = { now: () => Date.now() + offset };
  const cleanup = async () => {
    for (const svc of running.reverse()) await svc.stop().catch(() => undefined);
    await Promise.allSettled(databases.map((d) => d.drop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const providerDb = await createTestDatabase(`${label}_provider`);
    databases.push(providerDb);
    const providerSvc = await startService(paymentProviderService, {
      env: {
        DATABASE_URL: providerDb.url,
        LOG_LEVEL: 'silent',
        PAYMENT_PROVIDER_API_KEY_FILE: join(dir, 'api-key'),
        PAYMENT_PROVIDER_ADMIN_KEY_FILE: join(dir, 'admin-key'),
      },
    });
    running.push(providerSvc);
    const paymentsDb = await createTestDatabase(label);
    databases.push(paymentsDb);
    const statics = { 'payment-provider': providerSvc.url, ...options.services };
    const startInstance = async (env: Record<string, string> = {}) => {
      const svc = await startService(paymentsService, {
        clock,
        env: {
          DATABASE_URL: paymentsDb.url,
          LOG_LEVEL: 'silent',
          PAYMENT_PROVIDER_API_KEY_FILE: join(dir, 'api-key'),
          STATIC_SERVICES: Object.entries(statics)
            .map(([name, url]) => `${name}=${url}`)
            .join(';'),
          // Each test's failures must not open the breaker for the next one.
          BREAKER_FAILURE_THRESHOLD: '1000',
          ...options.env,
          ...env,
        },
        // payments reads shipping's feed (ShipmentFailed) with its own token.
        serviceToken: issuer.serviceToken('svc-payments', [eventsReadScope('shipping')]),
      });
      running.push(svc);
      svc.ctx.auth.setKeySource(issuer.keySource);
      return svc;
    };
    const payments = await startInstance();

    const adminHeaders = { authorization: `Bearer ${adminKey}` };
    const merchant = { authorization: `Bearer ${merchantKey}` };
    const provider: Provider = {
      svc: providerSvc,
      merchantKey,
      async behave(change) {
        const res = await call(providerSvc.url, 'PATCH', '/v1/_admin/behaviour', { body: change, headers: adminHeaders });
        if (res.status !== 200) throw new Error(`behaviour change refused: ${res.status} ${res.text}`);
      },
      async charges(paymentId) {
        const res = await call(providerSvc.url, 'GET', `/v1/charges?reference=${paymentId}`, { headers: merchant });
        if (res.status !== 200) throw new Error(`charges: ${res.status} ${res.text}`);
        return res.json;
      },
      post: (path, body, idempotencyKey) =>
        call(providerSvc.url, 'POST', path, { body, headers: { ...merchant, 'idempotency-key': idempotencyKey } }),
    };
    const serviceToken = await issuer.token({ sub: 'svc-orders', roles: [], scopes: [...PAYMENT_CAPABILITIES] });
    const adminToken = await issuer.token({ roles: ['admin'] });
    // Operators' routes live on the admin listener.
    const baseFor = (path: string) => (path.startsWith('/_admin/') ? payments.adminUrl : payments.url);
    const withToken = (token: string | null | undefined) => (token === null ? {} : { token: token ?? serviceToken });
    return {
      payments,
      provider,
      issuer,
      serviceToken,
      adminToken,
      advance: (ms) => void (offset += ms),
      now: () => clock.now(),
      post: (path, body, token) =>
        call(baseFor(path), 'POST', path, { ...(body === undefined ? {} : { body }), ...withToken(token) }),
      get: (path, token) => call(baseFor(path), 'GET', path, withToken(token)),
      async query(text, values = []) {
        const client = new pg.Client({ connectionString: paymentsDb.url });
        await client.connect();
        try {
          return (await client.query(text, values)).rows;
        } finally {
          await client.end();
        }
      },
      startInstance,
      close: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** The body of an authorize for a new order and user. */
export function authorizeBody(overrides: Record<string, unknown> = {}) {
  return {
    orderId: randomUUID(),
    userId: randomUUID(),
    amountCents: 4_990,
    currency: 'EUR',
    paymentMethod: 'tok_visa',
    ...overrides,
  };
}

/** A stand-in for shipping: the real ShipmentFailed contract published through the chassis outbox. */
export interface ShippingStandIn {
  url: string;
  /** Publishes a ShipmentFailed for the order (reason code CARRIER_REFUSED). */
  shipmentFailed(orderId: string): Promise<void>;
  stop(): Promise<void>;
}

const shippingStandIn = defineService({
  name: 'shipping',
  version: '0.0.0-test',
  migrations: {},
  events: { publishes: [ShipmentFailed] },
  setup(ctx) {
    ctx.app.post('/test/shipment-failed', async (request) => {
      const data = request.body as ShipmentFailed;
      await ctx.db.transaction().execute((trx) => ctx.events.publish(trx, ShipmentFailed, data, { subject: data.orderId }));
      return { ok: true };
    });
  },
});

export async function startShippingStandIn(label: string): Promise<ShippingStandIn> {
  const db = await createTestDatabase(label);
  let svc: RunningService;
  try {
    svc = await startService(shippingStandIn, { env: { DATABASE_URL: db.url, LOG_LEVEL: 'silent' } });
    svc.ctx.auth.setKeySource(issuer.keySource);
  } catch (err) {
    await db.drop();
    throw err;
  }
  return {
    url: svc.url,
    async shipmentFailed(orderId) {
      const res = await call(svc.url, 'POST', '/test/shipment-failed', {
        body: {
          orderId,
          shipmentId: randomUUID(),
          reasonCode: 'CARRIER_REFUSED',
          reason: 'the carrier refused the parcel',
          failedAt: new Date().toISOString(),
        },
      });
      if (res.status !== 200) throw new Error(`shipment-failed: ${res.status} ${res.text}`);
    },
    async stop() {
      await svc.stop();
      await db.drop();
    },
  };
}

export { assertProblem, call, waitFor, type Answer } from '@souk/chassis/testing';
