// @souk/chassis: the library every souk service is built on. This file is its
// whole public surface: what services, the platform and the tools use, and the
// types of what they are handed. Nothing outside the package imports its
// internals; test helpers are in `@souk/chassis/testing`.

// A service: its definition, what setup gets, starting and stopping it.
export { defineService, startService, runService } from './service.ts';
export type { ServiceDefinition, ServiceContext, StartOptions, RunningService, RunningServiceOf, Clock } from './service.ts';
export { CommonConfig, DEFAULT_AUDIENCE, DEFAULT_EXTERNAL_AUDIENCE } from './config.ts';
export type { App, Interceptor } from './server/app.ts';
export { noteFailure, setRoute } from './server/telemetry.ts';
export { httpCache, etagOf, etagMatches, type CachePolicy } from './server/http-cache.ts';
export { deprecated, deprecationHeaders, type Deprecation } from './server/deprecation.ts';

// Its database: typed tables beside the chassis' own, and migrations.
export type { ChassisTables, ServiceDb } from './db/chassis-tables.ts';
export type { Migration, Migrations, MigrationDb } from './db/database.ts';

// Errors with stable codes, and problem+json across the wire.
export { SoukError, isSoukError, defineErrors, errorCatalogue, chassisErrors } from './errors/index.ts';
export { PROBLEM_CONTENT_TYPE, toProblem, toSoukError } from './errors/index.ts';
export type { ErrorSpec, ErrorFactory, SoukErrorOptions, ProblemDocument } from './errors/index.ts';

// The caller: request context, tokens, auth hooks.
export { requestContext } from './context.ts';
export { callerIdentity, spiffeId, tlsConnector, tlsFetch, tlsFetches, serverIdentityCheck, TRUST_DOMAIN } from './tls/index.ts';
export { loadServiceTls } from './tls/index.ts';
export type { PeerIdentity, ServiceTls } from './tls/index.ts';
export type { Identity, RequestContext } from './context.ts';
export type { JwtVerifier, KeySource } from './auth/jwt-verifier.ts';
export { bearerToken } from './auth/auth-hooks.ts';
export type { ServiceTokenSource, TokenAnswer } from './auth/service-token.ts';
export { basicCredentials } from './auth/service-token.ts';
export { ACCESS_TOKEN_TYPE, createTokenExchanger, TOKEN_EXCHANGE_GRANT, tokenExchangeRequest } from './auth/token-exchange.ts';
export type { TokenExchanger } from './auth/token-exchange.ts';
export { IDENTITY_TOKEN_PATH, serviceClientAuthorization } from './start/connections.ts';
export { DATABASE_PASSWORD_SECRET } from './start/database-phase.ts';
export { userIdOf } from './auth/user-of.ts';
export type { Auth, Requirement } from './auth/auth-hooks.ts';
export { CAPABILITIES, eventsReadProducer, eventsReadScope, isServiceScope } from './auth/scopes.ts';
export type { Capability, EventsReadScope, ServiceScope } from './auth/scopes.ts';

// Secrets: one file each in SECRETS_DIR, or Vault KV v2 (ctx.secrets).
export { SecretError, type Secrets, type FileVariable } from './secrets/index.ts';

// Logs and metrics.
export type { Logger } from './logging.ts';
export { Counter, Gauge, type Registry } from 'prom-client';
// The metrics every instance serves, for tests that read them as a scraper does (platform/telemetry).
export { createHttpServerMetrics, createMetricsRegistry, DURATION_BUCKETS } from './metrics.ts';
export { clientDurationHistogram } from './client/http-attempt.ts';

// Other services: discovery and resilient clients (the gateway builds its own pools on them).
export type { Discovery, ServiceInstance } from './discovery/index.ts';
export {
  internalInstances,
  releaseOf,
  staticDiscovery,
  RELEASE_METADATA,
  RELEASE_NAME,
  STABLE_RELEASE,
} from './discovery/index.ts';
export type { ServiceClient, ServiceRequest, ServiceResponse, ClientOptions, ResilienceSnapshot } from './client/index.ts';
export {
  Balancer,
  Breakers,
  createInstancePools,
  createOriginPools,
  isRepeatable,
  CONNECT_ERROR_CODES,
  RETRYABLE_STATUSES,
} from './client/index.ts';
export type {
  InstancePools,
  OriginPools,
  OriginTarget,
  PoolOptions,
  PoolTarget,
  BreakerState,
  BreakerSnapshot,
  BulkheadSnapshot,
} from './client/index.ts';

// Events: contracts, the outbox and subscriptions, the feed.
export { defineEvent, schemaIdOf, FEED_PATH, IncompatibleSchemaError, streamName } from './events/index.ts';
export type {
  EventContract,
  EventData,
  Events,
  ReceivedEvent,
  HandlerContext,
  EventHandler,
  DeadLetter,
  DeadLetters,
  PublishOptions,
  Publication,
  FeedPage,
  EventStatus,
  ReplayOptions,
  ReplayResult,
} from './events/index.ts';
export { CloudEvent } from './events/index.ts';

// Paging.
export { encodeKeysetCursor, keysetBefore, type KeysetPosition } from './paging/keyset-cursor.ts';

// Event streams with snapshots and as-of reads (event sourcing).
export * from './event-store/index.ts';

// Orchestration sagas persisted step by step, with compensations, leases and parking.
export * from './saga/index.ts';

// Background work: periodic ticks, and durable jobs (enqueued in the caller's transaction, leased, retried on
// one backoff, parked, retried by operators).
export * from './jobs/index.ts';
export { backoffDelay, type Backoff } from './backoff.ts';
export { pause } from './events/pause.ts';
// PostgreSQL LISTEN wake-ups, for a service that holds requests until a commit (the config server's watches).
export { createNotifier, armNotification, type Notifier } from './events/notifier.ts';
// The config server's API and the settings every service takes live.
export * from './live-config/contract.ts';
export { applyMergePatch, mergePatchFrom } from './live-config/merge-patch.ts';
