// @souk/chassis: the library every souk service is built on. This file is its
// whole public surface; nothing outside the package imports its internals.

export { defineService, startService, runService, IDENTITY_TOKEN_PATH } from './service.ts';
export type { ServiceDefinition, ServiceContext, StartOptions, RunningService, RunningServiceOf, Clock } from './service.ts';
export type { ChassisTables, ServiceDb } from './db/chassis-tables.ts';
export type { App, Interceptor } from './server/app.ts';
export { setRoute, instrumentHandler } from './server/telemetry.ts';
export { sendProblem } from './server/problems.ts';

export { loadConfig, ConfigError, CommonConfig } from './config.ts';
export type { Env } from './config.ts';

export { SoukError, isSoukError, defineErrors, errorCatalogue, chassisErrors } from './errors/index.ts';
export { PROBLEM_CONTENT_TYPE, toProblem, fromProblem, toSoukError, problemType } from './errors/index.ts';
export type { ErrorSpec, ErrorFactory, SoukErrorOptions, ProblemDocument } from './errors/index.ts';

export { requestContext, runWithRequestContext } from './context.ts';
export type { Identity, RequestContext } from './context.ts';

export { createJwtVerifier } from './auth/jwt-verifier.ts';
export type { JwtVerifier, KeySource } from './auth/jwt-verifier.ts';
export { bearerToken } from './auth/auth-hooks.ts';
export type { ServiceTokenSource } from './auth/service-token.ts';
export { userIdOf } from './auth/user-of.ts';
export type { Auth, Requirement } from './auth/auth-hooks.ts';

export { createLogger } from './logging.ts';
export type { Logger } from './logging.ts';
export { initTracing } from './tracing.ts';
export { createMetricsRegistry, createHttpServerMetrics, DURATION_BUCKETS } from './metrics.ts';
export { Counter, Gauge, Histogram, type Registry } from 'prom-client';
export type { HttpServerMetrics } from './metrics.ts';
export type { Migration, Migrations, MigrationDb } from './db/database.ts';

export * from './discovery/index.ts';
export * from './client/index.ts';

export * from './events/index.ts';
export { encodeKeysetCursor, decodeKeysetCursor, keysetBefore, type KeysetPosition } from './paging/keyset-cursor.ts';

// Event streams with snapshots and as-of reads (event sourcing).
export * from './event-store/index.ts';

// Orchestration sagas persisted step by step, with compensations, leases and parking.
export * from './saga/index.ts';
