// The one table of what the devhost runs: entry points, start order, databases and extra env.
// A new service is one new row here; the databases, roles, clients and URLs follow from it.

import path from 'node:path';
import { eventsReadScope as feed, type ServiceScope } from '@souk/chassis/scopes';
import { DEVHOST_IDENTITY } from './certificates.ts';

export interface ServiceSpec {
  name: string;
  /** Entry point relative to the repository root. */
  entry: string;
  /** Start and stop order: tier n is spawned before tier n + 1, and stopped after it. */
  tier: number;
  /**
   * Services that must answer ready before this one is spawned. Only what a start cannot do without:
   * everything else a service calls at start (the schema registry, identity) it waits for itself,
   * so those starts overlap (measured: 2-3 s less than tier after tier).
   */
  startsAfter: readonly string[];
  /** Gets its own database `souk_<name>` and role `souk_<name>`. */
  database: boolean;
  /** Fixed port option (the first instance listens there); other instances get free ports. */
  fixedPort?: 'registryPort' | 'gatewayPort';
  /** False for services where a second instance makes no sense (the registry is a single point by design here). */
  scalable: boolean;
  /** Gets REGISTRY_URL (registers and discovers). False only for the registry, which never registers with itself. */
  usesRegistry: boolean;
  /**
   * Scopes of the service's OAuth client `svc-<name>` in clients.json: exactly the capabilities it uses
   * with its own token (`auth: 'service'` calls), `events:read:<producer>` per producer it consumes, and
   * `schemas:write` for a producer (it registers its event schemas).
   */
  clientScopes: readonly ServiceScope[];
  /** Service-specific environment: never a secret (those go in its secrets directory). */
  env?: Readonly<Record<string, string>>;
  /**
   * Secrets it gets besides its client secret and database password, by the name the service reads
   * them under (instance-secrets.ts writes them into its own SECRETS_DIR).
   */
  secrets?: readonly string[];
}

/** May trade users' tokens for internal ones at identity (RFC 8693). */
export const TOKEN_EXCHANGE_PERMISSION = 'identity:token-exchange' satisfies ServiceScope;
export const OPERATOR_CLIENT_ID = 'souk-operator';
/** The service that holds the signing keys and issues tokens. */
export const IDENTITY = 'identity';
/** The config server: every other service that uses the registry reads its settings there (CONFIG_SERVICE). */
export const CONFIG = 'config';
/** The telemetry backend: every other service exports its spans there, and it scrapes their /metrics. */
export const TELEMETRY = 'telemetry';
/** The console's backend: reads every instance's admin listener, and asks the devhost to kill, pause or restart. */
export const CONSOLE = 'console';

export const SERVICES: readonly ServiceSpec[] = [
  {
    name: 'registry',
    entry: 'platform/registry/src/main.ts',
    tier: 0,
    startsAfter: [],
    database: false,
    fixedPort: 'registryPort',
    scalable: false,
    usesRegistry: false,
    clientScopes: [],
  },
  {
    // Ready before the producers start: they register their event schemas at start, and would otherwise wait
    // for it while it competes with them for the CPU. Spawned beside the registry: it only needs the
    // registry's first instance list, and waits for that itself (measured: 2.5 s less than after it).
    name: 'schema-registry',
    entry: 'platform/schema-registry/src/main.ts',
    tier: 1,
    startsAfter: [],
    database: true,
    scalable: true,
    usesRegistry: true,
    clientScopes: [],
  },
  {
    // Spawned beside the registries: every other service reads its settings from it as it starts.
    name: CONFIG,
    entry: 'platform/config/src/main.ts',
    tier: 1,
    startsAfter: [],
    database: true,
    scalable: true,
    usesRegistry: true,
    clientScopes: [],
  },
  {
    // Spawned first beside the registry, and waited for by nobody: a service's spans before it listens are
    // dropped by the exporter, its log lines wait in the devhost's shipper. Stopped last, after the registry
    // (a tier of its own), so that every other process's last spans and lines still arrive: stopped beside it,
    // the registry's exporter retried its last spans against a closed port for 9 s at every Ctrl-C. One
    // instance: it scrapes every instance, and a second would scrape them all again.
    name: TELEMETRY,
    entry: 'platform/telemetry/src/main.ts',
    tier: -1,
    startsAfter: [],
    database: true,
    scalable: false,
    usesRegistry: true,
    clientScopes: [],
  },
  {
    name: 'identity',
    entry: 'services/identity/src/main.ts',
    tier: 2,
    startsAfter: ['registry', 'schema-registry', CONFIG],
    // The services below start once it is ready: each asks it for a token to register its event schemas;
    // started beside it, they met refused connections and competed with it for the CPU.
    database: true,
    scalable: true,
    usesRegistry: true,
    clientScopes: ['schemas:write'],
    env: { IDENTITY_ADMIN_EMAIL: 'admin@souk.local' },
    secrets: ['identity-key-encryption-key', 'identity-admin-password', 'identity-clients'],
  },
  {
    name: 'catalog',
    entry: 'services/catalog/src/main.ts',
    tier: 2,
    startsAfter: ['registry', 'schema-registry', IDENTITY],
    database: true,
    scalable: true,
    usesRegistry: true,
    clientScopes: ['schemas:write'],
  },
  {
    name: 'notifications',
    entry: 'services/notifications/src/main.ts',
    tier: 2,
    startsAfter: ['registry', 'schema-registry', IDENTITY],
    database: true,
    scalable: true,
    usesRegistry: true,
    clientScopes: [feed('identity'), feed('orders'), feed('shipping')],
  },
  {
    // A third-party stand-in: its own API keys; an OAuth client kept uniform, granted nothing.
    name: 'payment-provider',
    entry: 'services/payment-provider/src/main.ts',
    tier: 2,
    startsAfter: ['registry', 'schema-registry', IDENTITY],
    database: true,
    scalable: true,
    usesRegistry: true,
    clientScopes: [],
    secrets: ['payment-provider-api-key', 'payment-provider-admin-key'],
  },
  {
    name: 'inventory',
    entry: 'services/inventory/src/main.ts',
    tier: 2,
    startsAfter: ['registry', 'schema-registry', IDENTITY],
    database: true,
    scalable: true,
    usesRegistry: true,
    clientScopes: [feed('catalog'), feed('orders'), feed('shipping'), 'schemas:write'],
    // Demo stock for every seeded catalogue product, loaded once in the background.
    env: { INVENTORY_SEED_STOCK: '100' },
  },
  {
    name: 'payments',
    entry: 'services/payments/src/main.ts',
    tier: 2,
    startsAfter: ['registry', 'schema-registry', IDENTITY],
    database: true,
    scalable: true,
    usesRegistry: true,
    clientScopes: [feed('shipping'), 'schemas:write'],
    secrets: ['payment-provider-api-key'],
  },
  {
    name: 'cart',
    entry: 'services/cart/src/main.ts',
    tier: 2,
    startsAfter: ['registry', 'schema-registry', IDENTITY],
    database: true,
    scalable: true,
    usesRegistry: true,
    clientScopes: [feed('catalog'), feed('orders')],
  },
  {
    name: 'orders',
    entry: 'services/orders/src/main.ts',
    tier: 2,
    startsAfter: ['registry', 'schema-registry', IDENTITY],
    database: true,
    scalable: true,
    usesRegistry: true,
    clientScopes: [
      // The checkout saga's steps and compensations.
      'inventory:reserve',
      'inventory:release',
      'payments:authorize',
      'payments:capture',
      'payments:cancel',
      feed('catalog'),
      feed('shipping'),
      'schemas:write',
    ],
  },
  {
    name: 'shipping',
    entry: 'services/shipping/src/main.ts',
    tier: 2,
    startsAfter: ['registry', 'schema-registry', IDENTITY],
    database: true,
    scalable: true,
    usesRegistry: true,
    clientScopes: [feed('inventory'), feed('orders'), feed('payments'), 'schemas:write'],
  },
  {
    name: 'order-history',
    entry: 'services/order-history/src/main.ts',
    tier: 2,
    startsAfter: ['registry', 'schema-registry', IDENTITY],
    database: true,
    scalable: true,
    usesRegistry: true,
    clientScopes: [feed('inventory'), feed('orders'), feed('payments'), feed('shipping')],
  },
  {
    name: 'recommendations',
    entry: 'services/recommendations/src/main.ts',
    tier: 2,
    startsAfter: ['registry', 'schema-registry', IDENTITY],
    database: true,
    scalable: true,
    usesRegistry: true,
    clientScopes: [feed('orders')],
  },
  {
    // The operations console's backend: no database; it reads the admin listeners of the instances the
    // registry lists (their ADMIN_CALLERS name it) and asks the devhost's control listener to act on them.
    name: CONSOLE,
    entry: 'platform/console/src/main.ts',
    tier: 2,
    startsAfter: ['registry', IDENTITY],
    database: false,
    scalable: true,
    usesRegistry: true,
    clientScopes: [],
  },
  {
    name: 'gateway',
    entry: 'platform/gateway/src/main.ts',
    tier: 3,
    startsAfter: ['registry', CONFIG],
    // Only for its rate limit buckets, shared by every gateway instance (one UNLOGGED table).
    database: true,
    fixedPort: 'gatewayPort',
    scalable: true,
    usesRegistry: true,
    // Trades users' tokens for internal ones before forwarding (RFC 8693); reads catalog's feed to empty its response
    // cache; its canary analysis sets canary weights back to 0 (or promotes) in its own `releases` setting.
    clientScopes: [TOKEN_EXCHANGE_PERMISSION, feed('catalog'), 'config:releases:write'],
  },
];

/**
 * OAuth clients that are not services (tools that call the API with client credentials). The load
 * generator calls the public API as shoppers do: no capability. Operator tools (`npm run events`, later
 * the console) trade the admin's token for an internal one, as the gateway does.
 */
export const EXTRA_CLIENTS: readonly { clientId: string; scopes: readonly ServiceScope[] }[] = [
  { clientId: 'souk-loadgen', scopes: [] },
  { clientId: OPERATOR_CLIENT_ID, scopes: [TOKEN_EXCHANGE_PERMISSION] },
];

export function findService(name: string): ServiceSpec | undefined {
  return SERVICES.find((s) => s.name === name);
}

/** Database and role name: `souk_order_history` for `order-history`. */
export function databaseName(service: string, prefix = 'souk_'): string {
  return prefix + service.replaceAll('-', '_');
}

export function serviceClientId(service: string): string {
  return `svc-${service}`;
}

export interface InstancePlan {
  service: ServiceSpec;
  instanceId: string;
  /** 1-based number within the service. */
  index: number;
  /** Set for the first instance of a fixed-port service. */
  fixedPort?: number;
  /** SERVICE_RELEASE of an instance started beside the stable ones (--canary, --release). */
  release?: string;
}

export interface PlanOptions {
  scale: Readonly<Record<string, number>>;
  /** Per service, releases to run one instance of beside its stable instances. */
  releases?: Readonly<Record<string, readonly string[]>>;
  registryPort: number;
  gatewayPort: number;
}

/** The names the gateway's certificate carries besides its SPIFFE id: what users reach it by over HTTPS. */
export const EDGE_HOSTNAMES: readonly string[] = ['localhost', '127.0.0.1'];

/** Every instance to run, in start order (tier by tier, table order within a tier). */
export function planInstances(options: PlanOptions, services: readonly ServiceSpec[] = SERVICES): InstancePlan[] {
  const ordered = [...services].sort((a, b) => a.tier - b.tier);
  const plans: InstancePlan[] = [];
  for (const service of ordered) {
    const count = options.scale[service.name] ?? 1;
    for (let index = 1; index <= count; index++) {
      const plan: InstancePlan = { service, instanceId: `${service.name}-${index}`, index };
      if (service.fixedPort && index === 1) plan.fixedPort = options[service.fixedPort];
      plans.push(plan);
    }
    for (const release of options.releases?.[service.name] ?? []) {
      plans.push({ service, instanceId: `${service.name}-${release}`, index: count + 1, release });
    }
  }
  return plans;
}

/** The tiers in start order, each a list of instances. */
export function tiers(plans: readonly InstancePlan[]): InstancePlan[][] {
  const byTier = new Map<number, InstancePlan[]>();
  for (const plan of plans) {
    const list = byTier.get(plan.service.tier) ?? [];
    list.push(plan);
    byTier.set(plan.service.tier, list);
  }
  return [...byTier.entries()].sort(([a], [b]) => a - b).map(([, list]) => list);
}

/**
 * The instances due to start now: not started yet, and every service in their `startsAfter` that this run
 * has is ready (all its instances). Each instance starts as soon as its own dependencies are, not when a
 * whole step is: the gateway does not wait for identity, nor the services for the gateway. Tier order.
 */
export function dueToStart(
  plans: readonly InstancePlan[],
  started: ReadonlySet<string>,
  ready: ReadonlySet<string>,
): InstancePlan[] {
  const serviceReady = (name: string) => plans.every((q) => q.service.name !== name || ready.has(q.instanceId));
  return tiers(plans)
    .flat()
    .filter((p) => !started.has(p.instanceId) && p.service.startsAfter.every(serviceReady));
}

/**
 * The start order in steps: each step holds the instances whose `startsAfter` services were all started in
 * earlier steps. Throws when the dependencies form a cycle (checked before anything starts).
 */
export function startSteps(plans: readonly InstancePlan[]): InstancePlan[][] {
  const steps: InstancePlan[][] = [];
  const started = new Set<string>();
  let left = [...plans];
  while (left.length > 0) {
    const step = left.filter((p) =>
      p.service.startsAfter.every((s) => started.has(s) || !plans.some((q) => q.service.name === s)),
    );
    if (step.length === 0) throw new Error(`start dependencies form a cycle: ${left.map((p) => p.instanceId).join(', ')}`);
    steps.push(step);
    for (const p of step) started.add(p.service.name);
    left = left.filter((p) => !step.includes(p));
  }
  return steps;
}

/** The share of traces the devhost's services record when OTEL_TRACES_SAMPLER is not set. */
export const DEFAULT_TRACE_RATIO = 0.1;

/** Variables the devhost sets itself; inherited values are dropped so a stray shell export cannot leak in. */
const CONTROLLED_ENV = [
  'PORT',
  'HOST',
  'ADMIN_PORT',
  'ADMIN_HOST',
  'PUBLIC_URL',
  'INSTANCE_ID',
  'REGISTRY_URL',
  'IDENTITY_URL',
  'STATIC_SERVICES',
  'DATABASE_URL',
  'AUTH_ISSUER',
  'LOG_LEVEL',
  'OTEL_METRICS_EXPORTER',
  'OTEL_LOGS_EXPORTER',
  'SERVICE_CLIENT_ID',
  'SECRETS_DIR',
  'TLS_CERT_FILE',
  'TLS_KEY_FILE',
  'TLS_CA_FILE',
  'ADMIN_CALLERS',
  'METRICS_CALLERS',
  'TELEMETRY_SERVICE',
  'CONFIG_SERVICE',
  'CONFIG_CACHE_FILE',
  'SERVICE_RELEASE',
  'GATEWAY_TLS_PORT',
  'GATEWAY_CONSOLE_DIR',
  'DEVHOST_CONTROL_URL',
];

/**
 * Inherited variables that may hold a secret or lead to one are dropped too: a superuser's PGPASSWORD or
 * DATABASE_URL, a VAULT_TOKEN, an *_API_KEY, a stray *_SECRET_FILE would otherwise reach every service.
 */
const SECRET_LIKE_ENV = /(SECRET|PASSWORD|PASSWD|TOKEN|KEY|CREDENTIALS?)(_FILE)?$|SECRET_|PASSWORD_|^PG|^VAULT_|^DATABASE_/i;

export interface EnvInput {
  plan: InstancePlan;
  port: number;
  /** Port of the instance's admin listener; 0 lets it pick one. */
  adminPort?: number;
  registryPort: number;
  gatewayPort: number;
  /** The console's built files, for a gateway to serve at /console (GATEWAY_CONSOLE_DIR). */
  consoleDir?: string | undefined;
  /** A gateway's HTTPS port (GATEWAY_TLS_PORT), when it terminates TLS. */
  gatewayTlsPort?: number | undefined;
  /** Ports of identity's instances: every service calls identity there (IDENTITY_URL), never where the registry says. */
  identityPorts: readonly number[];
  /** Telemetry's port: every other service exports its spans there (OTEL_EXPORTER_OTLP_ENDPOINT) unless the shell set one. */
  telemetryPort?: number | undefined;
  /** --log-level: pins LOG_LEVEL; without it the config server's logLevel applies. */
  logLevel?: string | undefined;
  /** Where each service keeps a copy of its settings (CONFIG_CACHE_FILE). */
  settingsDir: string;
  /** Present for services with a database: server, database and role, never a password. */
  databaseUrl?: string;
  /** The instance's own secrets directory (instance-secrets.ts); its only way to any secret. */
  secretsDir: string;
  /** The devhost's own environment; PATH, HOME, OTEL_EXPORTER_OTLP_ENDPOINT etc. pass through. */
  inherited: NodeJS.ProcessEnv;
  /** The instance's certificate files: it serves and calls by mutual TLS (the registry too). */
  tls?: { certFile: string; keyFile: string; caFile: string };
  /** The devhost's control listener (control.ts), for the console (DEVHOST_CONTROL_URL). */
  controlUrl?: string | undefined;
}

export function instanceEnv(input: EnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.inherited)) {
    if (value !== undefined && !CONTROLLED_ENV.includes(key) && !SECRET_LIKE_ENV.test(key)) env[key] = value;
  }
  // One trace in ten unless the shell chose (OTEL_TRACES_SAMPLER=always_on records every one); errors always are.
  if (!env.OTEL_TRACES_SAMPLER) {
    env.OTEL_TRACES_SAMPLER = 'parentbased_traceidratio';
    if (!env.OTEL_TRACES_SAMPLER_ARG) env.OTEL_TRACES_SAMPLER_ARG = String(DEFAULT_TRACE_RATIO);
  }
  Object.assign(env, {
    PORT: String(input.port),
    HOST: '127.0.0.1',
    ADMIN_PORT: String(input.adminPort ?? 0),
    ADMIN_HOST: '127.0.0.1',
    INSTANCE_ID: input.plan.instanceId,
    AUTH_ISSUER: `http://localhost:${input.gatewayPort}`,
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    SECRETS_DIR: input.secretsDir,
  });
  if (input.plan.service.usesRegistry) {
    const scheme = input.tls ? 'https' : 'http';
    env.REGISTRY_URL = `${scheme}://127.0.0.1:${input.registryPort}`;
    // Identity's JWKS and token endpoint at addresses the devhost chose, so no registry entry can move them.
    // An identity instance calls itself (its own token), so that its start never waits for a sibling's.
    const identityPorts = input.plan.service.name === IDENTITY ? [input.port] : input.identityPorts;
    if (identityPorts.length === 0) throw new Error(`${input.plan.instanceId} needs identity's ports`);
    env.IDENTITY_URL = identityPorts.map((port) => `${scheme}://127.0.0.1:${port}`).join(',');
    // Its own OAuth client, for calls on its own behalf (saga steps, background work).
    env.SERVICE_CLIENT_ID = serviceClientId(input.plan.service.name);
    // Its settings from the config server, applied live; the config server keeps none of its own.
    if (input.plan.service.name !== CONFIG) {
      env.CONFIG_SERVICE = CONFIG;
      env.CONFIG_CACHE_FILE = path.join(input.settingsDir, `${input.plan.service.name}.json`);
    }
  }
  // Spans to the telemetry service, unless the shell names another endpoint (a collector: the production
  // switch, deploy/telemetry). Telemetry itself exports none: each export it stored would make more.
  if (input.telemetryPort !== undefined && !env.OTEL_EXPORTER_OTLP_ENDPOINT && input.plan.service.name !== TELEMETRY)
    env.OTEL_EXPORTER_OTLP_ENDPOINT = `${input.tls ? 'https' : 'http'}://127.0.0.1:${input.telemetryPort}`;
  if (input.plan.service.name === TELEMETRY) delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (input.plan.release !== undefined) env.SERVICE_RELEASE = input.plan.release;
  if (input.gatewayTlsPort !== undefined) env.GATEWAY_TLS_PORT = String(input.gatewayTlsPort);
  if (input.consoleDir !== undefined && input.plan.service.fixedPort === 'gatewayPort')
    env.GATEWAY_CONSOLE_DIR = input.consoleDir;
  if (input.logLevel) env.LOG_LEVEL = input.logLevel;
  if (input.controlUrl !== undefined && input.plan.service.name === CONSOLE) env.DEVHOST_CONTROL_URL = input.controlUrl;
  if (input.plan.service.database) {
    if (!input.databaseUrl) throw new Error(`${input.plan.service.name} needs a database URL`);
    if (new URL(input.databaseUrl).password !== '') throw new Error('a service database URL must not carry the password');
    env.DATABASE_URL = input.databaseUrl;
  }
  if (input.tls) {
    env.TLS_CERT_FILE = input.tls.certFile;
    env.TLS_KEY_FILE = input.tls.keyFile;
    env.TLS_CA_FILE = input.tls.caFile;
    // Its admin listener answers the devhost's certificate (health, npm run events, tests, benchmarks) and the
    // console's only, and /metrics the telemetry service's (the scraper).
    env.ADMIN_CALLERS = `${DEVHOST_IDENTITY},${CONSOLE}`;
    env.METRICS_CALLERS = TELEMETRY;
  }
  Object.assign(env, input.plan.service.env ?? {});
  return env;
}
