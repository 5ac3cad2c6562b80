// defineService / startService / runService: turns a service definition into
// a running instance and stops it gracefully. A start goes through phases
// (start/), each registering the release of what it acquired on one resource
// stack: a failed start and a stop release the same way, in reverse.

import type { Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Static, TObject } from 'typebox';
import type { Auth } from './auth/auth-hooks.ts';
import type { ServiceTokenSource } from './auth/service-token.ts';
import type { Breakers, ClientOptions, ServiceClient } from './client/index.ts';
import type { CommonConfig, Env } from './config.ts';
import type { ServiceDb } from './db/chassis-tables.ts';
import type { Migrations } from './db/database.ts';
import type { Secrets } from './secrets/secrets.ts';
import type { Discovery } from './discovery/index.ts';
import { installFaults } from './server/faults.ts';
import type { EventContract } from './events/contract.ts';
import type { Events } from './events/event-layer.ts';
import { createHttpServerMetrics } from './metrics.ts';
import { createApp, type App, type Interceptor } from './server/app.ts';
import { loadBasics, type Basics, type Clock } from './start/basics.ts';
import { connectClients, connectDiscovery, createServiceAuth, loadTls, registerEventSchemas } from './start/connections.ts';
import type { ServiceTls } from './tls/service-tls.ts';
import { openDatabase } from './start/database-phase.ts';
import { createServiceEvents } from './start/event-phase.ts';
import { createServiceSettings } from './start/settings-phase.ts';
import type { LiveSettings } from './live-config/live-config.ts';
import { allSettledOrThrow } from './settle.ts';
import { startOtlpExport } from './tracing.ts';
import { createResourceStack } from './start/resource-stack.ts';
import { listen, listenAdmin, register } from './start/serving.ts';

export type { Clock } from './start/basics.ts';
export { IDENTITY_TOKEN_PATH } from './start/connections.ts';

/** `DB` is the service's own tables (from its src/db.ts); none but the chassis' when it has no database. */
export interface ServiceDefinition<C extends TObject = TObject, DB = object> {
  name: string;
  version: string;
  /** The service's own environment variables (TypeBox object); validated at start with the common ones. */
  config?: C;
  /** Kysely migrations; when present DATABASE_URL is required and they run at start. */
  migrations?: Migrations;
  /** Events the service publishes (from its contract.ts); their schemas are registered at start. */
  events?: {
    publishes?: readonly EventContract[];
    /**
     * Registers the schemas once the instance listens and is discoverable, not before: for identity,
     * whose own token (needed for the write) comes from its own token endpoint. Events published
     * before then (in `setup`) carry no dataschema; the instance is not ready until it is done.
     */
    registerSchemasWhenServing?: boolean;
  };
  /** Resilience options of the clients of some called services, over the defaults (a bigger bulkhead queue...). */
  clients?: Readonly<Record<string, ClientOptions>>;
  /**
   * The service is the public edge (the gateway): its listener stays plain HTTP even with a certificate,
   * which then serves only its outgoing calls.
   */
  publicEdge?: boolean;
  /**
   * The service's own live settings (TypeBox object), beside the common ones (log level, flags): published
   * to the config server at start, set there by admins, read with `ctx.settings`.
   */
  settings?: TObject;
  /**
   * Its own settings (JSON Pointers) that the environment pins, so the config server's values are shown as
   * not applied in `/_admin/config` (the service itself leaves them out when it applies a version).
   */
  pinnedSettings?: (env: Env) => readonly string[];
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
  /**
   * Its connection URL, password included (in memory only, never logged), for a connection of the service's
   * own beside the pool (LISTEN); undefined without a database.
   */
  readonly databaseUrl: string | undefined;
  /** Outbox publishing, subscriptions and dead letters; throws when the service has no database. */
  readonly events: Events<DB>;
  readonly discovery: Discovery;
  /** Per-instance circuit breakers shared by every client (the gateway uses them too). */
  readonly breakers: Breakers;
  readonly auth: Auth;
  readonly metrics: Registry;
  readonly tracer: Tracer;
  readonly clock: Clock;
  /** Settings from the config server (CONFIG_SERVICE), applied live: read them when used, or follow onChange. */
  readonly settings: LiveSettings;
  /** The service's own secrets, one name each (SECRETS_DIR or Vault KV v2): read them during setup. */
  readonly secrets: Secrets;
  /** The instance's certificate (TLS_CERT_FILE…), rotated in place; undefined when it runs plain HTTP. */
  readonly tls: ServiceTls | undefined;
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
  /** Base URL of its admin listener: /metrics, /_admin/*, detailed /health/ready. */
  readonly adminUrl: string;
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
  // Milliseconds since the process started (performance's time origin), then what each phase took.
  const timings: Record<string, number> = { loadMs: Math.round(performance.now()) };
  const timed = async <T>(phase: string, run: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    const result = await run();
    timings[`${phase}Ms`] = Math.round(performance.now() - t0);
    return result;
  };
  const basics = await timed('basics', () => loadBasics(definition, options));
  const { name, config, log } = basics;
  const stack = createResourceStack(log);
  stack.defer('the trace exporter', () => basics.flushTraces());
  const readiness = new Map<string, () => Promise<void>>();
  const closeHooks: (() => Promise<void> | void)[] = [];
  // running → draining (not ready, deregistering, still serving) → closing (refusing, draining in-flight).
  let phase: 'running' | 'draining' | 'closing' = 'running';
  let ctx: ServiceContext<Static<C>, DB>;
  let url: string;
  let adminUrl: string;
  try {
    const tls = await loadTls(basics, stack);
    if (config.OTEL_EXPORTER_OTLP_ENDPOINT)
      startOtlpExport({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, tls, service: config.TELEMETRY_SERVICE });
    const serverTls = definition.publicEdge ? undefined : tls;
    const publishes = definition.events?.publishes ?? [];
    const registerLate = definition.events?.registerSchemasWhenServing === true;
    // Filled before the server listens, or (registerLate) once it serves: the outbox reads it at each publish.
    const schemaIds = new Map<string, number>();
    const fill = (ids: ReadonlyMap<string, number>) => ids.forEach((id, type) => schemaIds.set(type, id));
    // Side by side: migrations wait on PostgreSQL, schema registration on the schema registry (both may
    // still be starting next to us); neither needs the other.
    const [database, { discovery, clients, settings }] = await allSettledOrThrow([
      timed('database', () => openDatabase(basics, definition.migrations, stack, readiness)),
      (async () => {
        const discovery = await timed('discovery', () => connectDiscovery(basics, options.discovery, tls, stack, readiness));
        const clients = await connectClients(basics, discovery, options.serviceToken, tls, stack, definition.clients);
        const env = options.env ?? process.env;
        const settings = createServiceSettings(
          basics,
          definition.settings,
          definition.pinnedSettings?.(env) ?? [],
          clients,
          env,
          stack,
        );
        await Promise.all([
          registerLate
            ? undefined
            : timed('schemas', () => registerEventSchemas(basics, publishes, discovery, clients, options.serviceToken)).then(
                fill,
              ),
          timed('settings', () => settings.start()),
        ]);
        return { discovery, clients, settings };
      })(),
    ] as const);
    const auth = createServiceAuth(basics, clients);
    const preRoute: { current?: Interceptor } = {};
    const { app, adminHandler } = await timed('app', () =>
      createApp({
        service: name,
        version: definition.version,
        log,
        tracer: basics.tracer,
        metrics: basics.metrics,
        httpMetrics: createHttpServerMetrics(basics.metrics),
        bodyLimit: config.BODY_LIMIT_BYTES,
        slowRequestMs: config.LOG_SLOW_REQUEST_MS,
        readiness,
        isDraining: () => phase !== 'running',
        isClosing: () => phase === 'closing',
        resilienceSnapshot: () => clients.resilienceSnapshot(),
        settingsSnapshot: () => settings.snapshot(),
        preRoute,
        ...(serverTls ? { tls: serverTls } : {}),
      }),
    );
    const eventFault = installFaults(app, {
      settings,
      self: { release: config.SERVICE_RELEASE, instanceId: basics.instanceId },
      metrics: basics.metrics,
    });
    let appClosed: Promise<void> | undefined;
    const closeApp = () => (appClosed ??= app.close());
    stack.defer('the HTTP server', closeApp);
    // After the server drained, before the pools close (the last added runs first).
    stack.defer('the close hooks', async () => {
      for (const hook of closeHooks.reverse())
        await Promise.resolve()
          .then(hook)
          .catch((err: unknown) => log.error({ err }, 'a close hook failed'));
    });
    const eventLayer = createServiceEvents(basics, { database, app, clients, auth, publishes, schemaIds, eventFault }, stack);

    ctx = serviceContext<Static<C>, DB>(basics, {
      app,
      db: () => database?.db,
      databaseUrl: database?.connectionUrl,
      events: () => eventLayer?.events,
      discovery,
      clients,
      auth,
      readiness,
      closeHooks,
      preRoute,
      tls,
      settings,
      isClosing: () => phase === 'closing',
    });
    await timed('setup', () => definition.setup(ctx));
    adminUrl = await timed('listenAdmin', () => listenAdmin(basics, adminHandler, tls, stack));
    url = await timed('listen', () => listen(basics, app, closeApp, () => (phase = 'closing'), stack, serverTls !== undefined));
    await timed('register', () => register(basics, discovery, { url, adminUrl }, stack));
    if (registerLate && publishes.length > 0) {
      let registered = false;
      readiness.set('schemas', async () => {
        if (!registered) throw new Error('event schemas not registered yet');
      });
      fill(await timed('schemas', () => registerEventSchemas(basics, publishes, discovery, clients, options.serviceToken)));
      registered = true;
    }
    await timed('events', () => eventLayer?.start());
    settings.watch();
    timings.totalMs = Math.round(performance.now());
    log.info({ url, adminUrl, version: definition.version, startup: timings }, `${name} listening`);
  } catch (err) {
    // Nothing may linger when start-up fails: a test or supervisor tries again in the same process.
    await stack.release();
    throw err;
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      phase = 'draining';
      log.info('shutting down: deregistering, then draining in-flight requests');
      await stack.release();
      log.info('stopped');
      log.flush();
    })());
  return { url, adminUrl, ctx, stop };
}

/** What the context is made of besides the basics; db and events are looked up when used. */
interface ContextParts {
  app: App;
  db(): ServiceDb<any> | undefined;
  databaseUrl: string | undefined;
  events(): Events<any> | undefined;
  discovery: Discovery;
  clients: { breakers: Breakers; get(service: string): ServiceClient };
  auth: Auth;
  readiness: Map<string, () => Promise<void>>;
  closeHooks: (() => Promise<void> | void)[];
  preRoute: { current?: Interceptor };
  tls: ServiceTls | undefined;
  settings: LiveSettings;
  isClosing(): boolean;
}

function serviceContext<Cfg, DB>(basics: Basics<Cfg>, parts: ContextParts): ServiceContext<Cfg, DB> {
  const { name } = basics;
  return {
    name,
    instanceId: basics.instanceId,
    version: basics.version,
    config: basics.config,
    app: parts.app,
    log: basics.log,
    databaseUrl: parts.databaseUrl,
    get db(): ServiceDb<DB> {
      const db = parts.db();
      if (!db) throw new Error(`${name} declared no migrations, so it has no database`);
      return db;
    },
    get events(): Events<DB> {
      const events = parts.events();
      if (!events) throw new Error(`${name} declared no migrations, so it has no database for its outbox and inbox`);
      return events;
    },
    discovery: parts.discovery,
    breakers: parts.clients.breakers,
    auth: parts.auth,
    metrics: basics.metrics,
    tracer: basics.tracer,
    clock: basics.clock,
    secrets: basics.secrets,
    settings: parts.settings,
    tls: parts.tls,
    client: (service) => parts.clients.get(service),
    addReadinessCheck: (checkName, check) => void parts.readiness.set(checkName, check),
    onClose: (fn) => void parts.closeHooks.push(fn),
    interceptRequests: (interceptor) => {
      parts.preRoute.current = interceptor;
    },
    isClosing: () => parts.isClosing(),
  };
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
