// Command-line flags of `npm start -- ...`, parsed and checked into one frozen options object.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { RELEASE_NAME, STABLE_RELEASE } from '@souk/chassis/releases';
import { findService, SERVICES } from './services.ts';

export const DEFAULT_GATEWAY_PORT = 8080;
export const DEFAULT_REGISTRY_PORT = 8761;
export const DEFAULT_GATEWAY_TLS_PORT = 8443;
export const DEFAULT_READY_TIMEOUT_SECONDS = 60;
const MAX_INSTANCES = 10;
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export interface DevhostOptions {
  repoRoot: string;
  dataDir: string;
  fresh: boolean;
  gatewayPort: number;
  /** The gateway's HTTPS port (TLS terminated there, a dev certificate for localhost); with mTLS only. */
  tlsPort: number;
  registryPort: number;
  /** Instances per service; services not listed run once. */
  scale: Readonly<Record<string, number>>;
  /** Per service, releases to run one instance of beside the stable ones (--canary, --release). */
  releases: Readonly<Record<string, readonly string[]>>;
  /** LOG_LEVEL of every service when given; otherwise info, and the config server may change it live. */
  logLevel: string | undefined;
  jsonLogs: boolean;
  /**
   * Bundle each service once with esbuild and run plain JS (default), or run the TypeScript through tsx
   * (--no-bundle). Measured with 4 services on 2 busy cores: ready in 5.4-6.3 s bundled, 16 s with tsx.
   */
  bundle: boolean;
  readyTimeoutMs: number;
  /** Run bundles with --enable-source-maps (stack traces name the TypeScript files; ~25 MB more per process). */
  sourceMaps: boolean;
  /** Services whose processes write a V8 CPU profile (`--cpu-prof`) into <data-dir>/profiles when they exit. */
  cpuProfile: readonly string[];
  /** Prefix of every database and role name (`souk_catalog`); another one lets several devhosts share a server. */
  dbPrefix: string;
  /** Every instance serves and calls by mutual TLS with a certificate from the dev CA (--no-mtls: plain HTTP). */
  mtls: boolean;
  /** Runs the telemetry backend, exports every service's spans to it and ships every line (--no-telemetry: none of it). */
  telemetry: boolean;
  /** Lifetime of instance certificates; each is reissued at half of it. */
  certLifetimeMs: number;
  help: boolean;
}

export const DEFAULT_CERT_LIFETIME_SECONDS = 24 * 3600;

export const DEFAULT_DB_PREFIX = 'souk_';

export const USAGE = `Usage: npm start -- [options]

Runs every souk service as its own process on 127.0.0.1, with embedded PostgreSQL
(or the server in DATABASE_URL), and restarts processes that crash.

Options:
  --data-dir <dir>        where databases, secrets, logs and state live (default: <repo>/.souk)
  --fresh                 wipe the data directory first (new database, new secrets)
  --port <n>              gateway port (default ${DEFAULT_GATEWAY_PORT})
  --tls-port <n>          the gateway's HTTPS port (default ${DEFAULT_GATEWAY_TLS_PORT}): TLS terminated at the gateway with
                          a certificate for localhost from the dev CA (<data-dir>/pki/ca.pem); not with --no-mtls
  --registry-port <n>     registry port (default ${DEFAULT_REGISTRY_PORT})
  --scale <svc>=<n>       run n instances of a service; repeatable, or comma separated
                          (services: ${SERVICES.map((s) => s.name).join(', ')})
  --canary <svc>          run one more instance of the service as release "canary" (SERVICE_RELEASE): it
                          takes no users until the gateway's releases setting gives it a weight; repeatable
  --release <svc>=<name>  the same with a release name of your own (blue/green: --release catalog=green,
                          then set the gateway's releases.catalog.active to "green"); repeatable
  --log-level <level>     LOG_LEVEL of every service: ${LOG_LEVELS.join(', ')} (default info; given, it pins
                          the level, which the config server's logLevel then cannot change)
  --json-logs             print the services' raw JSON log lines instead of the compact form
  --no-bundle             run each service's TypeScript through tsx instead of an esbuild bundle
                          (slower start; for code that bundling breaks)
  --ready-timeout <s>     how long a tier may take to become ready (default ${DEFAULT_READY_TIMEOUT_SECONDS})
  --source-maps           stack traces of bundled services name the TypeScript sources (about 25 MB more
                          memory per process, slower stack traces); off by default
  --cpu-prof <svc>        write a CPU profile of the service's processes to <data-dir>/profiles/ when
                          they stop (open it in Chrome DevTools or speedscope); repeatable, or comma separated
  --no-mtls               plain HTTP between the processes instead of mutual TLS with certificates from the
                          dev CA in <data-dir>/pki (for comparison)
  --no-telemetry          no telemetry backend: no span export, no log shipping, no scraping (to measure
                          what they cost: npm run bench:telemetry)
  --cert-lifetime <s>     lifetime of instance certificates in seconds (default ${DEFAULT_CERT_LIFETIME_SECONDS}); each is
                          reissued at half its life, without restart
  --db-prefix <p>         prefix of database and role names (default ${DEFAULT_DB_PREFIX}); lets several
                          devhosts (or test runs) share the server in DATABASE_URL
  -h, --help              show this text

Environment: DATABASE_URL (admin connection to an existing PostgreSQL instead of the embedded one),
NATS_URL (events through NATS JetStream instead of the embedded feed), OTEL_EXPORTER_OTLP_ENDPOINT
(passed to every service), OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (default: one trace in ten;
always_on records every one), NO_COLOR.`;

export class ArgsError extends Error {
  override name = 'ArgsError';
}

export function parseOptions(argv: readonly string[], repoRoot: string): DevhostOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      allowNegative: true,
      options: {
        'data-dir': { type: 'string' },
        fresh: { type: 'boolean', default: false },
        port: { type: 'string' },
        'registry-port': { type: 'string' },
        'tls-port': { type: 'string' },
        scale: { type: 'string', multiple: true },
        canary: { type: 'string', multiple: true },
        release: { type: 'string', multiple: true },
        'log-level': { type: 'string' },
        'json-logs': { type: 'boolean', default: false },
        bundle: { type: 'boolean', default: true },
        'ready-timeout': { type: 'string' },
        'db-prefix': { type: 'string' },
        'cpu-prof': { type: 'string', multiple: true },
        'source-maps': { type: 'boolean', default: false },
        mtls: { type: 'boolean', default: true },
        telemetry: { type: 'boolean', default: true },
        'cert-lifetime': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new ArgsError((err as Error).message);
  }
  const v = parsed.values;
  const logLevel = v['log-level'];
  if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel)) {
    throw new ArgsError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, not "${logLevel}"`);
  }
  const gatewayPort = v.port === undefined ? DEFAULT_GATEWAY_PORT : parsePort('--port', v.port);
  const registryPort =
    v['registry-port'] === undefined ? DEFAULT_REGISTRY_PORT : parsePort('--registry-port', v['registry-port']);
  if (gatewayPort === registryPort) throw new ArgsError(`--port and --registry-port are both ${gatewayPort}`);
  const tlsPort = v['tls-port'] === undefined ? DEFAULT_GATEWAY_TLS_PORT : parsePort('--tls-port', v['tls-port']);
  if (tlsPort === gatewayPort || tlsPort === registryPort)
    throw new ArgsError(`--tls-port ${tlsPort} is taken by ${tlsPort === gatewayPort ? '--port' : '--registry-port'}`);
  const dbPrefix = v['db-prefix'] ?? DEFAULT_DB_PREFIX;
  if (!/^[a-z][a-z0-9_]{0,30}_$/.test(dbPrefix)) {
    throw new ArgsError(
      `--db-prefix must be lowercase letters, digits and underscores, start with a letter and end with "_", not "${dbPrefix}"`,
    );
  }
  const readyTimeout =
    v['ready-timeout'] === undefined
      ? DEFAULT_READY_TIMEOUT_SECONDS
      : parseInteger('--ready-timeout', v['ready-timeout'], 1, 3600);
  return Object.freeze({
    repoRoot,
    dataDir: path.resolve(v['data-dir'] ?? path.join(repoRoot, '.souk')),
    fresh: v.fresh ?? false,
    gatewayPort,
    tlsPort,
    registryPort,
    scale: Object.freeze(parseScale(v.scale ?? [])),
    releases: Object.freeze(parseReleases(v.canary ?? [], v.release ?? [])),
    logLevel,
    jsonLogs: v['json-logs'] ?? false,
    bundle: v.bundle ?? true,
    readyTimeoutMs: readyTimeout * 1000,
    dbPrefix,
    sourceMaps: v['source-maps'] ?? false,
    cpuProfile: Object.freeze(parseServiceList('--cpu-prof', v['cpu-prof'] ?? [])),
    mtls: v.mtls ?? true,
    telemetry: v.telemetry ?? true,
    certLifetimeMs:
      (v['cert-lifetime'] === undefined
        ? DEFAULT_CERT_LIFETIME_SECONDS
        : parseInteger('--cert-lifetime', v['cert-lifetime'], 10, 365 * 24 * 3600)) * 1000,
    help: v.help ?? false,
  });
}

/** `--cpu-prof orders --cpu-prof cart,payments`: known service names, each once. */
export function parseServiceList(flag: string, values: readonly string[]): string[] {
  const names = new Set<string>();
  for (const name of values.flatMap((value) => value.split(',')).map((n) => n.trim())) {
    if (name === '') continue;
    if (!findService(name))
      throw new ArgsError(`${flag}: unknown service "${name}" (known: ${SERVICES.map((s) => s.name).join(', ')})`);
    names.add(name);
  }
  return [...names];
}

/**
 * Services the gateway routes users to by release. Not the platform's own (registry, config, schema
 * registry), not identity (every service calls its instances by address) and not the gateway itself.
 */
const NOT_RELEASABLE = new Set(['registry', 'config', 'schema-registry', 'identity', 'gateway']);

/** `--canary catalog --release catalog=green,cart=next`: per service, the releases to run one instance of. */
export function parseReleases(canaries: readonly string[], releases: readonly string[]): Record<string, string[]> {
  const byService: Record<string, string[]> = {};
  const add = (flag: string, name: string, release: string) => {
    const service = findService(name);
    if (!service) throw new ArgsError(`${flag}: unknown service "${name}" (known: ${SERVICES.map((s) => s.name).join(', ')})`);
    if (NOT_RELEASABLE.has(name) || !service.scalable)
      throw new ArgsError(`${flag}: ${name} runs one release only (the gateway routes users by release to the other services)`);
    if (!new RegExp(RELEASE_NAME).test(release) || release === STABLE_RELEASE)
      throw new ArgsError(`${flag}: "${release}" is not a release name (lowercase letters, digits and "-", not "stable")`);
    const list = (byService[name] ??= []);
    if (!list.includes(release)) list.push(release);
  };
  for (const name of parseServiceList('--canary', canaries)) add('--canary', name, 'canary');
  for (const item of releases.flatMap((value) => value.split(','))) {
    const text = item.trim();
    if (text === '') continue;
    const match = /^([a-z][a-z0-9-]*)=(\S+)$/.exec(text);
    if (!match) throw new ArgsError(`--release expects <service>=<release>, got "${text}"`);
    add('--release', match[1]!, match[2]!);
  }
  return byService;
}

/** `--scale catalog=2 --scale identity=2,gateway=3`; the last value for a service wins. */
export function parseScale(values: readonly string[]): Record<string, number> {
  const scale: Record<string, number> = {};
  for (const item of values.flatMap((value) => value.split(','))) {
    const text = item.trim();
    if (text === '') continue;
    const match = /^([a-z][a-z0-9-]*)=(\S+)$/.exec(text);
    if (!match) throw new ArgsError(`--scale expects <service>=<count>, got "${text}"`);
    const [, name, count] = match as unknown as [string, string, string];
    const service = findService(name);
    if (!service) throw new ArgsError(`--scale: unknown service "${name}" (known: ${SERVICES.map((s) => s.name).join(', ')})`);
    const n = parseInteger(`--scale ${name}`, count, 1, MAX_INSTANCES);
    if (n > 1 && !service.scalable) throw new ArgsError(`--scale: ${name} runs as a single instance`);
    scale[name] = n;
  }
  return scale;
}

function parsePort(flag: string, text: string): number {
  return parseInteger(flag, text, 1, 65535);
}

function parseInteger(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new ArgsError(`${flag} must be a whole number from ${min} to ${max}, not "${text}"`);
  }
  return n;
}
