// Configuration from the environment: the only place in a service that reads
// process.env. Everything is validated at start, converted to its type and frozen.

import { Type, type Static, type TObject, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { DEFAULT_TOKEN_CACHE_SIZE } from './auth/token-cache.ts';
import { MAX_PREPARED_STATEMENTS } from './db/database.ts';
import { DEFAULT_FAILURE_THRESHOLD, DEFAULT_HALF_OPEN_AFTER_MS } from './client/breakers.ts';
import { SecretsConfig } from './secrets/secrets.ts';
import { RELEASE_NAME, STABLE_RELEASE } from './discovery/releases.ts';

/** Thrown at start when the environment does not describe a valid configuration. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_ISSUER = 'http://localhost:8080';
/** The audience of internal tokens: the only tokens a service accepts (identity issues them by token exchange). */
export const DEFAULT_AUDIENCE = 'souk-internal';
/** The audience of the tokens users and their apps hold: accepted at the edge (the gateway) only. */
export const DEFAULT_EXTERNAL_AUDIENCE = 'souk';
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
/** Who may call the admin listener under mutual TLS: the SPIFFE service name of the operator's certificate. */
export const DEFAULT_ADMIN_CALLERS = 'devhost';

/** The samplers of OTEL_TRACES_SAMPLER (the OpenTelemetry environment specification's names). */
export const SAMPLER_NAMES = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

/** Variables every service understands; see packages/chassis/README.md. */
export const CommonConfig = Type.Object({
  HOST: Type.String({ default: DEFAULT_HOST, minLength: 1 }),
  PORT: Type.Integer({ default: 0, minimum: 0, maximum: 65535 }),
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  ADMIN_HOST: Type.String({
    default: DEFAULT_HOST,
    minLength: 1,
    description: 'Interface of the admin listener (/metrics, /_admin/*, detailed /health/ready); keep it off public networks.',
  }),
  ADMIN_PORT: Type.Integer({
    default: 0,
    minimum: 0,
    maximum: 65535,
    description: 'Port of the admin listener (0 = any free port; its URL goes into the registry as adminUrl).',
  }),
  ADMIN_CALLERS: Type.String({
    default: DEFAULT_ADMIN_CALLERS,
    pattern: '^[a-z0-9][a-z0-9-]*(,[a-z0-9][a-z0-9-]*)*$',
    description:
      'With TLS: the services (SPIFFE ids spiffe://souk.local/<name>, comma-separated) whose certificates may call the admin listener; other certificates from the CA get 403. Operators and scrapers, not the other services.',
  }),
  METRICS_CALLERS: Type.String({
    default: '',
    pattern: '^([a-z0-9][a-z0-9-]*(,[a-z0-9][a-z0-9-]*)*)?$',
    description:
      'With TLS: services whose certificates may read /metrics on the admin listener and nothing else there (a scraper: the telemetry service); empty: none besides ADMIN_CALLERS.',
  }),
  INSTANCE_ID: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$' })),
  SERVICE_ZONE: Type.String({ default: 'local' }),
  SERVICE_WEIGHT: Type.Integer({ default: 100, minimum: 0, maximum: 1000 }),
  SERVICE_RELEASE: Type.String({
    default: STABLE_RELEASE,
    pattern: RELEASE_NAME,
    description:
      'The release this instance runs (registry metadata `release`): the gateway weighs users between releases (canary, blue/green); calls between services go to `stable`.',
  }),
  DATABASE_URL: Type.Optional(
    Type.String({
      pattern: '^postgres(ql)?://',
      description: 'Without a password: that is the secret database-password (a password in the URL is still taken).',
    }),
  ),
  DATABASE_POOL_SIZE: Type.Integer({ default: 5, minimum: 1, maximum: 100 }),
  DATABASE_PREPARED_STATEMENTS: Type.Integer({
    default: MAX_PREPARED_STATEMENTS,
    minimum: 0,
    description:
      'Distinct SQL texts prepared once per connection and then only bound and executed; 0 parses every statement (a pooler in transaction mode needs it).',
  }),
  REGISTRY_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  STATIC_SERVICES: Type.Optional(Type.String()),
  IDENTITY_URL: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description:
        "Identity's base URL, or one per instance separated by commas: where its JWKS, its token endpoint and its API are called. Never taken from the registry; required with REGISTRY_URL.",
    }),
  ),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  LOG_SLOW_REQUEST_MS: Type.Integer({
    default: 1_000,
    minimum: 0,
    description: 'A request taking longer is logged at info; others at debug (failures always at warn or error).',
  }),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  TELEMETRY_SERVICE: Type.String({
    default: 'telemetry',
    pattern: '^[a-z0-9][a-z0-9-]*$',
    description:
      'With TLS and an https: OTEL_EXPORTER_OTLP_ENDPOINT: the service whose certificate the endpoint must present (the telemetry service, or a collector of the mesh).',
  }),
  OTEL_TRACES_SAMPLER: Type.Union(
    SAMPLER_NAMES.map((s) => Type.Literal(s)),
    {
      default: 'parentbased_always_on',
      description: 'Which traces are recorded (OpenTelemetry names); the devhost sets parentbased_traceidratio.',
    },
  ),
  OTEL_TRACES_SAMPLER_ARG: Type.Number({
    default: 1,
    minimum: 0,
    maximum: 1,
    description: 'The share of new traces a traceidratio sampler records, 0 to 1 (0.1: one in ten).',
  }),
  AUTH_ISSUER: Type.String({ default: DEFAULT_ISSUER, pattern: '^https?://' }),
  AUTH_AUDIENCE: Type.String({
    default: DEFAULT_AUDIENCE,
    minLength: 1,
    description: 'The audience of the tokens this process accepts from callers: internal tokens, never the ones users hold.',
  }),
  AUTH_EXTERNAL_AUDIENCE: Type.String({
    default: DEFAULT_EXTERNAL_AUDIENCE,
    minLength: 1,
    description: "The audience of users' tokens: the gateway accepts them and identity exchanges them for internal ones.",
  }),
  AUTH_TOKEN_CACHE_SIZE: Type.Integer({
    default: DEFAULT_TOKEN_CACHE_SIZE,
    minimum: 0,
    description: 'Verified access tokens remembered until they expire, so each is signature-checked once; 0 checks every time.',
  }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 0 }),
  BODY_LIMIT_BYTES: Type.Integer({ default: DEFAULT_BODY_LIMIT_BYTES, minimum: 1024 }),
  BREAKER_FAILURE_THRESHOLD: Type.Integer({
    default: DEFAULT_FAILURE_THRESHOLD,
    minimum: 1,
    description: 'Consecutive failures that open the circuit to an instance.',
  }),
  BREAKER_HALF_OPEN_AFTER_MS: Type.Integer({
    default: DEFAULT_HALF_OPEN_AFTER_MS,
    minimum: 1,
    description: 'How long a circuit stays open before one trial call.',
  }),
  NATS_URL: Type.Optional(
    Type.String({
      pattern: '^(nats|tls)://',
      description: 'Events travel through NATS JetStream; unset, through the embedded feed.',
    }),
  ),
  EVENTS_MAX_ATTEMPTS: Type.Integer({
    default: 5,
    minimum: 1,
    description: 'Handler attempts before an event is dead-lettered.',
  }),
  EVENTS_RETRY_BASE_MS: Type.Integer({ default: 500, minimum: 0, description: 'First redelivery delay; doubles per attempt.' }),
  EVENTS_RETRY_CAP_MS: Type.Integer({ default: 60_000, minimum: 0 }),
  EVENTS_FEED_WAIT_MS: Type.Integer({
    default: 20_000,
    minimum: 0,
    maximum: 60_000,
    description: 'How long a feed read is held when nothing is new.',
  }),
  EVENTS_LEASE_MS: Type.Integer({
    default: 15_000,
    minimum: 1_000,
    description: "How long one instance owns reading a producer's feed without renewing.",
  }),
  EVENTS_ACK_WAIT_MS: Type.Integer({
    default: 30_000,
    minimum: 500,
    description: 'NATS: an unacknowledged message is redelivered after this long (a handler still working extends it).',
  }),
  EVENTS_HANDLER_TIMEOUT_MS: Type.Integer({
    default: 30_000,
    minimum: 100,
    description: 'A handler running longer counts as a failed attempt (each of its SQL statements too).',
  }),
  EVENTS_POLL_INTERVAL_MS: Type.Integer({
    default: 1_000,
    minimum: 10,
    description: 'The relay runs at least this often, notification or not.',
  }),
  SERVICE_CLIENT_ID: Type.Optional(
    Type.String({
      minLength: 1,
      description: "The service's OAuth client id, for its own client_credentials token (calls with auth: 'service').",
    }),
  ),
  SERVICE_CLIENT_SECRET_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'File holding the OAuth client secret of SERVICE_CLIENT_ID (one line); otherwise the secret service-client-secret.',
    }),
  ),
  // Where secrets are: SECRETS_DIR, VAULT_ADDR and the rest (secrets/secrets.ts).
  ...SecretsConfig.properties,
  TLS_CERT_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        "The instance's certificate (PEM, URI SAN spiffe://souk.local/<service>); with TLS_KEY_FILE and TLS_CA_FILE it serves and calls by mutual TLS. Watched: a replaced file is used without restart.",
    }),
  ),
  TLS_KEY_FILE: Type.Optional(Type.String({ minLength: 1, description: 'The private key of TLS_CERT_FILE (PEM).' })),
  TLS_CA_FILE: Type.Optional(
    Type.String({ minLength: 1, description: 'The CA (PEM) that callers and called instances must have certificates from.' }),
  ),
  SCHEMA_REGISTRY_WAIT_MS: Type.Integer({
    default: 30_000,
    minimum: 0,
    description: 'How long a producer waits at start for the schema registry.',
  }),
  CONFIG_SERVICE: Type.Optional(
    Type.String({
      pattern: '^[a-z0-9][a-z0-9-]*$',
      description: 'The config server (its name in discovery): settings are read from it at start and applied live. Unset: none.',
    }),
  ),
  CONFIG_ENVIRONMENT: Type.Optional(
    Type.String({
      pattern: '^[a-z][a-z0-9-]{0,30}$',
      description:
        "The environment whose settings document applies over the service's base one at the config server (staging, prod…). Unset: the base alone.",
    }),
  ),
  CONFIG_CACHE_FILE: Type.Optional(
    Type.String({ minLength: 1, description: 'A copy of the settings in effect, to start from when the config server is down.' }),
  ),
  CONFIG_WAIT_MS: Type.Integer({
    default: 5_000,
    minimum: 0,
    description: 'How long a start waits for the config server before it takes the cached copy.',
  }),
  CONFIG_WATCH_MS: Type.Integer({
    default: 25_000,
    minimum: 1_000,
    maximum: 60_000,
    description: 'How long the config server holds one watch for a new version.',
  }),
});
export type CommonConfig = Static<typeof CommonConfig>;

export type Env = Record<string, string | undefined>;

/**
 * Reads the variables a schema names from `env`, converts them (numbers,
 * booleans), applies defaults and validates. Unknown variables are ignored; a
 * problem names the variable and what was wrong with it.
 */
export function loadConfig<S extends TObject>(schema: S, env: Env = process.env): Readonly<Static<S>> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const converted = Value.Convert(schema, Value.Default(schema, raw)) as Record<string, unknown>;
  const problems = Value.Errors(schema, converted).map((e) => describe(schema, e.instancePath, e.message, converted));
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
  return Object.freeze(converted) as Readonly<Static<S>>;
}

function describe(schema: TObject, path: string, message: string, values: Record<string, unknown>): string {
  const key = path.replace(/^\//, '').split('/')[0] ?? '';
  if (!key) return missingNames(schema, values).join('; ') || message;
  const property = schema.properties[key] as TSchema & { description?: string; anyOf?: { const?: unknown }[] };
  const choices = property.anyOf?.map((s) => s.const).filter((c) => c !== undefined);
  const why = choices?.length ? `must be one of ${choices.map(String).join(', ')}` : message;
  const shown = values[key] === undefined ? 'unset' : JSON.stringify(redact(key, values[key]));
  return `${key}: ${why} (got ${shown})${property.description ? ` — ${property.description}` : ''}`;
}

function missingNames(schema: TObject, values: Record<string, unknown>): string[] {
  return (schema.required ?? []).filter((k: string) => values[k] === undefined).map((k: string) => `${k}: required but not set`);
}

/** Config errors are printed and logged: never with a secret in them. */
function redact(key: string, value: unknown): unknown {
  if (/SECRET|PASSWORD|TOKEN|KEY$/.test(key)) return '<hidden>';
  // Credentials inside URLs (postgres://user:password@host/db).
  return typeof value === 'string' ? value.replace(/^(.*?:\/\/[^:/@]*):[^@/]*@/, '$1:***@') : value;
}
