// The server side of request-cost.ts: one route shaped like the cart's add,
// behind the chassis' app or a bare Fastify app.

import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import pino from 'pino';
import { sql } from 'kysely';
import { Type } from 'typebox';
import { createAuth } from '../auth/auth-hooks.ts';
import { createJwtVerifier } from '../auth/jwt-verifier.ts';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER } from '../config.ts';
import { createDatabase } from '../db/database.ts';
import { createHttpServerMetrics, createMetricsRegistry } from '../metrics.ts';
import { createApp } from '../server/app.ts';
import { validatorCompiler } from '../server/validation.ts';
import { DEFAULT_TEST_SERVER } from '../testing/database.ts';
import { createTestIssuer } from '../testing/issuer.ts';
import { initTracing } from '../tracing.ts';

const Uuid = Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' });
const Line = Type.Object({
  productId: Uuid,
  name: Type.String(),
  quantity: Type.Integer({ minimum: 1, maximum: 99 }),
  unitPriceCents: Type.Integer({ minimum: 0 }),
  currency: Type.String(),
  lineTotalCents: Type.Integer({ minimum: 0 }),
  priceStale: Type.Boolean(),
  priceAsOf: Type.String({ format: 'date-time' }),
  available: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
});
const Cart = Type.Object({
  items: Type.Array(Line),
  itemCount: Type.Integer({ minimum: 0 }),
  totalCents: Type.Integer({ minimum: 0 }),
  currency: Type.String(),
  stale: Type.Boolean(),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const AddItemBody = Type.Object(
  { productId: Uuid, quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 99 })) },
  { additionalProperties: false },
);

const line = (i: number) => ({
  productId: `3f2b8c1e-5d4a-4b6f-9e21-7c0d8a9b1f3${i}`,
  name: `Product ${i}`,
  quantity: 2,
  unitPriceCents: 1299,
  currency: 'EUR',
  lineTotalCents: 2598,
  priceStale: false,
  priceAsOf: new Date().toISOString(),
  available: null,
});
const ANSWER = { items: [line(1), line(2), line(3)], itemCount: 6, totalCents: 7794, currency: 'EUR', stale: false };

export async function serve(options: { bare: boolean; db: boolean }): Promise<{ url: string; token: string }> {
  const issuer = await createTestIssuer();
  const token = await issuer.token();
  const log = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false }));
  const tracing = initTracing({
    service: 'bench',
    version: '0',
    instance: 'bench-1',
    sampling: { sampler: 'parentbased_traceidratio', ratio: 0.1 },
  });
  const verifier = createJwtVerifier({ keySource: issuer.keySource, issuer: DEFAULT_ISSUER, audience: DEFAULT_AUDIENCE });
  const auth = createAuth(
    DEFAULT_AUDIENCE,
    () => verifier,
    () => undefined,
  );
  const database = options.db
    ? createDatabase({
        url: process.env.DATABASE_URL ?? DEFAULT_TEST_SERVER,
        poolSize: 10,
        applicationName: 'request-cost',
        tracer: tracing.tracer,
        log,
      })
    : undefined;
  const handler = async (request: { body: { quantity?: number } }) => {
    if (database) await sql`select ${request.body.quantity ?? 1}::int as quantity`.execute(database.db);
    return { ...ANSWER, expiresAt: new Date().toISOString() };
  };
  const routeOptions = { onRequest: auth.required(), schema: { body: AddItemBody, response: { 200: Cart } } };
  if (options.bare) {
    const app = Fastify();
    app.setValidatorCompiler(validatorCompiler);
    app.post('/api/v1/cart/items', routeOptions, handler as never);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, token };
  }
  const metrics = createMetricsRegistry({ service: 'bench', instance: 'bench-1' });
  const { app } = await createApp({
    service: 'bench',
    version: '0',
    log,
    tracer: tracing.tracer,
    metrics,
    httpMetrics: createHttpServerMetrics(metrics),
    bodyLimit: 1_048_576,
    slowRequestMs: 1_000,
    readiness: new Map(),
    isDraining: () => false,
    isClosing: () => false,
    resilienceSnapshot: () => ({}),
    settingsSnapshot: () => ({}),
    preRoute: {},
  });
  app.post('/api/v1/cart/items', routeOptions, handler as never);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, token };
}
