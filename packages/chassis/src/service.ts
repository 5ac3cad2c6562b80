// defineService / startService / runService: turns a service definition into
// a running instance (config, logs, traces, metrics, database, discovery,
// clients, auth, HTTP server, registration) and stops it gracefully.

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { Type, type Static, type TObject } from 'typebox';
import { context, ROOT_CONTEXT, type Tracer } from '@opentelemetry/api';
import type { JSONWebKeySet } from 'jose';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createAuth, type Auth } from './auth/auth-hooks.ts';
import { createJwtVerifier, type JwtVerifier, type KeySource } from './auth/jwt-verifier.ts';
import {
  basicCredentials,
  cachedServiceToken,
  type CachedServiceToken,
  type ServiceTokenSource,
  type TokenAnswer,
} from './auth/service-token.ts';
import { CommonConfig, loadConfig, type Env } from './config.ts';
import { createDatabase, type Database, type Migrations } from './db/database.ts';
import { createLogger } from './logging.ts';
import { createHttpServerMetrics, createMetricsRegistry } from './metrics.ts';
import { createApp, type App, type Interceptor } from './server/app.ts';
import { initTracing } from './tracing.ts';
import {
  createRegistryClient,
  parseStaticServices,
  staticDiscovery,
  type Discovery,
  type RegistryClient,
} from './discovery/index.ts';
import { createClientRegistry, type Breakers, type ClientRegistry, type ServiceClient } from './client/index.ts';
import type { EventContract } from './events/contract.ts';
import { createEventLayer, type EventLayer, type Events } from './events/event-layer.ts';
import { CHASSIS_MIGRATION_TABLE } from './events/migrations.ts';
import { chassisMigrations } from './db/chassis-migrations.ts';
import type { ServiceDb } from './db/chassis-tables.ts';
import { registerSchemas, SCHEMA_REGISTRY_SERVICE } from './events/schemas.ts';

/** A clock in milliseconds; tests pass a fake one. */
export interface Clock {
  now(): number;
}

/** `DB` is the service's own tables (from its src/db.ts); none but the chassis' when it has no database. */
export interface ServiceDefinition<C extends TObject = TObject, DB = object> {
  name: string;
  version: string;
  /** The service's own environment variables (TypeBox object); validated at start with the common ones. */
  config?: C;
  /** Kysely migrations; when present DATABASE_URL is required and they run at start. */
  migrations?: Migrations;
  /** Events the service publishes (from its contract.ts); their schemas are registered at start. */
  events?: { publishes?: readonly EventContract[] };
  /** Registers routes and hooks; runs before the server listens. */
  setup(ctx: ServiceContext<Static<C>, DB>): void | Promise<void>;
}

/**
 * What `setup` gets. `DB` is the service's own tables; code that only registers routes and
 * never touches `db` may take a `ServiceContext` without it (the chassis' untyped default).
 */
export interface ServiceContext<Cfg = Record<string, unknown>, DB = any> {
  readonly name: string;
  readonly instanceId: string;
  readonly version: string;
  readonly config: Readonly<Cfg & CommonConfig>;
  readonly app: App;
  readonly log: Logger;
  /** The service's database; throws when the service declared no migrations. */
  readonly db: ServiceDb<DB>;
  /** Outbox publishing, subscriptions and dead letters; throws when the service has no database. */
  readonly events: Events<DB>;
  readonly discovery: Discovery;
  /** Per-instance circuit breakers shared by every client (the gateway uses them too). */
  readonly breakers: Breakers;
  readonly auth: Auth;
  readonly metrics: Registry;
  readonly tracer: Tracer;
  readonly clock: Clock;
  /** The cached client for calls to another service. */
  client(service: string): ServiceClient;
  addReadinessCheck(name: string, check: () => Promise<void>): void;
  /** Runs at shutdown after the server drained, before pools close (last added runs first). */
  onClose(fn: () => Promise<void> | void): void;
  /** Takes raw requests before Fastify routes them (the gateway's hot path). */
  interceptRequests(interceptor: Interceptor): void;
  /** True once shutdown refuses new requests (after deregistering); code that bypasses Fastify checks it. */
  isClosing(): boolean;
}

export interface StartOptions {
  env?: Env;
  clock?: Clock;
  /** Overrides discovery (tests); otherwise REGISTRY_URL / STATIC_SERVICES decide. */
  discovery?: Discovery;
  /** The service's own token for calls with `auth: 'service'` (tests); otherwise SERVICE_CLIENT_ID / SERVICE_CLIENT_SECRET_FILE. */
  serviceToken?: ServiceTokenSource;
}

export interface RunningService<Cfg = Record<string, unknown>, DB = any> {
  /** Base URL the instance listens on. */
  readonly url: string;
  readonly ctx: ServiceContext<Cfg, DB>;
  stop(): Promise<void>;
}

/** What `startService(definition)` gives, typed from the definition: `RunningServiceOf<typeof cartService>`. */
export type RunningServiceOf<D> = D extends ServiceDefinition<infer C, infer DB> ? RunningService<Static<C>, DB> : never;

/**
 * Declares a service. A service with a database names its tables first, so that `ctx.db`
 * is typed: `defineService<CartDb>()({ name: 'cart', migrations, setup(ctx) { ... } })`.
 */
export function defineService<DB>(): <C extends TObject = TObject>(
  definition: ServiceDefinition<C, DB>,
) => ServiceDefinition<C, DB>;
export function defineService<C extends TObject>(definition: ServiceDefinition<C>): ServiceDefinition<C>;
export function defineService(definition?: ServiceDefinition) {
  return definition ?? ((typed: ServiceDefinition) => typed);
}

export async function startService<C extends TObject, DB = object>(
  definition: ServiceDefinition<C, DB>,
  options: StartOptions = {},
): Promise<RunningService<Static<C>, DB>> {
  const env = options.env ?? process.env;
  const schema = Type.Object({ ...CommonConfig.properties, ...(definition.config?.properties ?? {}) });
  const config = loadConfig(schema, env) as unknown as Readonly<Static<C> & CommonConfig>;
  const name = definition.name;
  const instanceId = config.INSTANCE_ID ?? `${name}-${randomBytes(3).toString('hex')}`;
  const clock = options.clock ?? { now: () => Date.now() };
  const log = createLogger({ service: name, instance: instanceId, level: config.LOG_LEVEL });
  const tracing = initTracing({
    service: name,
    version: definition.version,
    instance: instanceId,
    ...(config.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT } : {}),
  });
  const { tracer } = tracing;
  const metrics = createMetricsRegistry({ service: name, instance: instanceId });
  const closers: Array<() => Promise<void> | void> = [];
  const readiness = new Map<string, () => Promise<void>>();
  // running → draining (not ready, deregistering, still serving) → closing (refusing, draining in-flight).
  let phase: 'running' | 'draining' | 'closing' = 'running';

  let database: Database | undefined;
  if (definition.migrations) {
    if (!config.DATABASE_URL) throw new Error(`${name} needs DATABASE_URL: set it to its PostgreSQL database`);
    database = createDatabase({
      url: config.DATABASE_URL,
      poolSize: config.DATABASE_POOL_SIZE,
      applicationName: instanceId,
      tracer,
      log,
    });
    const applied = await waitForDatabase(database, log)
      .then(async () => [
        ...(await database!.migrate(chassisMigrations, CHASSIS_MIGRATION_TABLE)),
        ...(await database!.migrate(definition.migrations!)),
      ])
      .catch(async (err: unknown) => {
        await database!.close();
        throw err;
      });
    if (applied.length) log.info({ migrations: applied }, 'database migrated');
    const db = database;
    readiness.set('database', () => db.ping());
  }

  const discovery = options.discovery ?? createDiscovery(config, log);
  // Calls made right after start should see the first instance list; a registry
  // that is down does not stop the start (calls fail with SOUK_CLIENT_NO_INSTANCE until it answers).
  let discoveryLoaded = false;
  const loadDiscovery = () => discovery.ready().then(() => void (discoveryLoaded = true));
  await loadDiscovery().catch((err: unknown) => log.warn({ err }, 'no instance list yet; starting anyway'));
  // Not ready until the instance list has arrived once (later outages keep the last known list).
  readiness.set('discovery', async () => {
    if (discoveryLoaded) return;
    void loadDiscovery().catch(() => undefined);
    throw new Error('no instance list from the registry yet');
  });
  const serviceToken = options.serviceToken
    ? { source: options.serviceToken, invalidate: () => undefined }
    : await ownServiceToken(config, clock, () => clients.get('identity'));
  const clients: ClientRegistry = createClientRegistry({
    discovery,
    log,
    metrics,
    tracer,
    breakerOptions: {
      clock,
      failureThreshold: config.BREAKER_FAILURE_THRESHOLD,
      halfOpenAfterMs: config.BREAKER_HALF_OPEN_AFTER_MS,
    },
    ...(serviceToken ? { serviceToken } : {}),
  });
  const publishes = definition.events?.publishes ?? [];
  let schemaIds = new Map<string, number>();
  if (publishes.length > 0) {
    if (!isRegistryClient(discovery) && discovery.instances(SCHEMA_REGISTRY_SERVICE).length === 0) {
      log.warn('no schema registry in STATIC_SERVICES: event schemas are not registered and events carry no dataschema');
    } else {
      schemaIds = await registerSchemas({
        client: clients.get(SCHEMA_REGISTRY_SERVICE),
        contracts: publishes,
        log,
        waitMs: config.SCHEMA_REGISTRY_WAIT_MS,
      }).catch(async (err: unknown) => {
        await Promise.allSettled([clients.close(), discovery.close(), database?.close()]);
        throw err;
      });
    }
  }

  // Fetched outside any request's context: the key set is shared, and the caller's token
  // and request id have no business on that call.
  let keySource: KeySource = () =>
    context.with(ROOT_CONTEXT, async () => {
      const res = await clients.get('identity').request<JSONWebKeySet>({ method: 'GET', path: '/.well-known/jwks.json' });
      return res.body;
    });
  let verifier: JwtVerifier | undefined;
  const auth = createAuth(
    () =>
      (verifier ??= createJwtVerifier({
        keySource: () => keySource(),
        issuer: config.AUTH_ISSUER,
        audience: config.AUTH_AUDIENCE,
        now: () => clock.now(),
      })),
    (source) => {
      keySource = source;
      verifier?.invalidate();
    },
  );

  const preRoute: { current?: Interceptor } = {};
  const app = await createApp({
    service: name,
    version: definition.version,
    log,
    tracer,
    metrics,
    httpMetrics: createHttpServerMetrics(metrics),
    bodyLimit: config.BODY_LIMIT_BYTES,
    readiness,
    isDraining: () => phase !== 'running',
    isClosing: () => phase === 'closing',
    resilienceSnapshot: () => clients.resilienceSnapshot(),
    preRoute,
  });

  let eventLayer: EventLayer | undefined;
  if (database) {
    eventLayer = createEventLayer({
      service: name,
      instanceId,
      db: database.db,
      databaseUrl: config.DATABASE_URL!,
      app,
      log,
      tracer,
      metrics,
      settings: config,
      publishes,
      schemaIds,
      client: (service) => clients.get(service),
      admin: auth.required({ roles: ['admin'] }),
    });
    const layer = eventLayer;
    // Held feed polls answer before the server drains, so draining never waits out a long poll.
    app.addHook('preClose', async () => layer.abortPolls());
  }

  const ctx: ServiceContext<Static<C>, DB> = {
    name,
    instanceId,
    version: definition.version,
    config,
    app,
    log,
    get db(): ServiceDb<DB> {
      if (!database) throw new Error(`${name} declared no migrations, so it has no database`);
      return database.db;
    },
    get events(): Events<DB> {
      if (!eventLayer) throw new Error(`${name} declared no migrations, so it has no database for its outbox and inbox`);
      return eventLayer.events;
    },
    discovery,
    breakers: clients.breakers,
    auth,
    metrics,
    tracer,
    clock,
    client: (service) => clients.get(service),
    addReadinessCheck: (checkName, check) => void readiness.set(checkName, check),
    onClose: (fn) => void closers.push(fn),
    interceptRequests: (interceptor) => {
      preRoute.current = interceptor;
    },
    isClosing: () => phase === 'closing',
  };

  /** Releases what the service holds; one failing step does not keep the others from running. */
  const release = async () => {
    // Consumers finish the event in hand and the relay its run while the database is still there.
    await eventLayer?.stop().catch((err: unknown) => log.error({ err }, 'stopping the event layer failed'));
    for (const fn of closers.reverse()) {
      await Promise.resolve()
        .then(fn)
        .catch((err: unknown) => log.error({ err }, 'a close hook failed'));
    }
    await Promise.allSettled([clients.close(), discovery.close(), database?.close()]);
  };

  try {
    await definition.setup(ctx);
    await app.listen({ host: config.HOST, port: config.PORT });
  } catch (err) {
    // Nothing may linger when start-up fails: a test or supervisor tries again in the same process.
    await app.close().catch(() => undefined);
    await release();
    throw err;
  }
  const port = (app.server.address() as AddressInfo).port;
  const url = config.PUBLIC_URL ?? `http://${config.HOST}:${port}`;
  const registry = isRegistryClient(discovery) ? discovery : undefined;
  if (registry) {
    await registry.register({
      service: name,
      instanceId,
      url,
      version: definition.version,
      zone: config.SERVICE_ZONE,
      weight: config.SERVICE_WEIGHT,
      metadata: {},
    });
  }
  log.info({ url, version: definition.version }, `${name} listening`);
  try {
    await eventLayer?.start();
  } catch (err) {
    await app.close().catch(() => undefined);
    await registry?.deregister().catch(() => undefined);
    await release();
    throw err;
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      phase = 'draining';
      log.info('shutting down: deregistering, then draining in-flight requests');
      // Deregister while still serving: callers stop choosing this instance before it refuses anything.
      await registry?.deregister().catch((err: unknown) => log.warn({ err }, 'deregistration failed'));
      phase = 'closing';
      // close() only ends connections idle at that moment; a keep-alive connection whose
      // request finishes later would hold the drain open until the forced close.
      const idleSweep = setInterval(() => app.server.closeIdleConnections(), 100);
      const forced = setTimeout(() => app.server.closeAllConnections(), config.SHUTDOWN_TIMEOUT_MS);
      forced.unref();
      await app.close();
      clearInterval(idleSweep);
      clearTimeout(forced);
      await release();
      await tracing.shutdown();
      log.info('stopped');
      log.flush();
    })());

  return { url, ctx, stop };
}

/** Entry point for a service's main.ts: start, stop on SIGTERM/SIGINT, exit non-zero on failure. */
export async function runService<C extends TObject, DB>(definition: ServiceDefinition<C, DB>): Promise<void> {
  let running: RunningService<Static<C>, DB>;
  try {
    running = await startService(definition);
  } catch (err) {
    process.stderr.write(`${definition.name} failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof Error && err.cause)
      process.stderr.write(`  cause: ${String((err.cause as Error).message ?? err.cause)}\n`);
    process.exit(1);
  }
  // A closed stdout (the supervisor went away) must not keep the process from exiting.
  process.stdout.on('error', () => undefined);
  const onSignal = (signal: string) => {
    running.ctx.log.info({ signal }, 'signal received');
    // Last resort if draining hangs: the orchestrator would SIGKILL us anyway.
    setTimeout(() => process.exit(1), running.ctx.config.SHUTDOWN_TIMEOUT_MS + 5_000).unref();
    running.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        running.ctx.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
}

/** REGISTRY_URL wins; STATIC_SERVICES serves fixed lists (tests, or behind DNS-based discovery). */
function createDiscovery(config: CommonConfig, log: Logger): Discovery {
  if (config.REGISTRY_URL) return createRegistryClient({ registryUrl: config.REGISTRY_URL, log });
  return staticDiscovery(config.STATIC_SERVICES ? parseStaticServices(config.STATIC_SERVICES) : {});
}

function isRegistryClient(discovery: Discovery): discovery is RegistryClient {
  return typeof (discovery as Partial<RegistryClient>).register === 'function';
}

/** The database may still be starting next to us (devhost, compose): retry for a while. */
async function waitForDatabase(database: Database, log: Logger, attempts = 20): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await database.ping();
    } catch (err) {
      if (attempt >= attempts) throw new Error('database unreachable', { cause: err });
      if (attempt === 1) log.warn({ err }, 'database not reachable yet; retrying');
      await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** attempt)));
    }
  }
}

/** identity's OAuth 2.0 token endpoint. */
export const IDENTITY_TOKEN_PATH = '/api/v1/identity/oauth/token';

/** The service's client_credentials token from identity, when the service has credentials. */
async function ownServiceToken(
  config: CommonConfig,
  clock: Clock,
  identity: () => ServiceClient,
): Promise<CachedServiceToken | undefined> {
  const clientId = config.SERVICE_CLIENT_ID;
  const secretFile = config.SERVICE_CLIENT_SECRET_FILE;
  if (!clientId && !secretFile) return undefined;
  if (!clientId || !secretFile)
    throw new Error('SERVICE_CLIENT_ID and SERVICE_CLIENT_SECRET_FILE go together: set both or neither');
  const secret = (await readFile(secretFile, 'utf8')).trim();
  if (!secret) throw new Error(`SERVICE_CLIENT_SECRET_FILE ${secretFile} is empty`);
  const authorization = basicCredentials(clientId, secret);
  return cachedServiceToken({
    now: () => clock.now(),
    // Outside any request's context: the caller's token and request id have no business on this call.
    fetchToken: () =>
      context.with(ROOT_CONTEXT, async () => {
        const res = await identity().request<TokenAnswer>({
          method: 'POST',
          path: IDENTITY_TOKEN_PATH,
          headers: { authorization },
          body: { grant_type: 'client_credentials' },
        });
        return res.body;
      }),
  });
}
