// The phases of a start that reach other processes: discovery (the registry
// or a static list), the clients with their breakers and the service's own
// token, the event schemas registered, and the verification of callers' tokens.

import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { JSONWebKeySet } from 'jose';
import { createAuth, type Auth } from '../auth/auth-hooks.ts';
import { createJwtVerifier, type JwtVerifier, type KeySource } from '../auth/jwt-verifier.ts';
import {
  basicCredentials,
  cachedServiceToken,
  type CachedServiceToken,
  type ServiceTokenSource,
  type TokenAnswer,
} from '../auth/service-token.ts';
import { createClientRegistry, type ClientOptions, type ClientRegistry, type ServiceClient } from '../client/index.ts';
import { ConfigError, type CommonConfig } from '../config.ts';
import {
  createRegistryClient,
  parseStaticServices,
  parseUrlList,
  pinServices,
  staticDiscovery,
  type Discovery,
  type RegistryClient,
} from '../discovery/index.ts';
import type { EventContract } from '../events/contract.ts';
import type { Secrets } from '../secrets/secrets.ts';
import { registerSchemas, SCHEMA_REGISTRY_SERVICE } from '../events/schemas.ts';
import { loadServiceTls, tlsFetch, tlsFilesOf, type ServiceTls } from '../tls/index.ts';
import type { Basics, Clock } from './basics.ts';
import type { ResourceStack } from './resource-stack.ts';

/** The secret holding the OAuth client secret of SERVICE_CLIENT_ID. */
export const SERVICE_CLIENT_SECRET = 'service-client-secret';

/** The registry's service name: the SPIFFE id its certificate must carry. */
export const REGISTRY_SERVICE = 'registry';

/** The instance's certificate when TLS_CERT_FILE, TLS_KEY_FILE and TLS_CA_FILE are set; watched until the stop. */
export async function loadTls(basics: Basics<unknown>, stack: ResourceStack): Promise<ServiceTls | undefined> {
  const files = tlsFilesOf(basics.config);
  if (!files) return undefined;
  const tls = await loadServiceTls(files, basics.log);
  stack.defer('the TLS file watch', () => tls.close());
  return tls;
}

/** The service that holds the keys and issues tokens: found through IDENTITY_URL, never the registry. */
export const IDENTITY_SERVICE = 'identity';

/** identity's OAuth 2.0 token endpoint. */
export const IDENTITY_TOKEN_PATH = '/api/v1/identity/oauth/token';

/**
 * REGISTRY_URL wins; STATIC_SERVICES serves fixed lists (tests, or behind DNS-based discovery).
 * IDENTITY_URL pins identity's instances over either: the JWKS every token is checked against and the
 * token endpoint that receives client secrets and passwords are configured, so a registry entry cannot
 * move them (and with REGISTRY_URL it is required). Not ready until the instance list has arrived once;
 * a registry that is down does not stop the start (calls fail with SOUK_CLIENT_NO_INSTANCE until it
 * answers, later outages keep the last list).
 */
export async function connectDiscovery(
  basics: Basics<unknown>,
  given: Discovery | undefined,
  tls: ServiceTls | undefined,
  stack: ResourceStack,
  readiness: Map<string, () => Promise<void>>,
): Promise<Discovery> {
  const config: CommonConfig = basics.config;
  const { log } = basics;
  if (!given && config.REGISTRY_URL && !config.IDENTITY_URL) {
    throw new ConfigError([
      "IDENTITY_URL: required with REGISTRY_URL (got unset) — identity's keys and token endpoint are configured, never taken from the registry",
    ]);
  }
  const pinned = config.IDENTITY_URL ? { [IDENTITY_SERVICE]: parseUrlList('IDENTITY_URL', config.IDENTITY_URL) } : undefined;
  let discovery = given;
  if (!discovery && config.REGISTRY_URL) {
    // With a certificate, the registry is called by mutual TLS and must prove it is the registry.
    const secured = tls ? tlsFetch(tls, REGISTRY_SERVICE) : undefined;
    if (secured) stack.defer('the registry connections', () => secured.close());
    discovery = createRegistryClient({ registryUrl: config.REGISTRY_URL, log, ...(secured ? { fetch: secured.fetch } : {}) });
  }
  discovery ??= staticDiscovery(config.STATIC_SERVICES ? parseStaticServices(config.STATIC_SERVICES) : {});
  if (pinned) discovery = pinServices(discovery, pinned);
  const opened = discovery;
  stack.defer('discovery', () => opened.close());
  let loaded = false;
  const load = () => discovery.ready().then(() => void (loaded = true));
  // Calls made right after start should see the first instance list.
  await load().catch((err: unknown) => log.warn({ err }, 'no instance list yet; starting anyway'));
  readiness.set('discovery', async () => {
    if (loaded) return;
    void load().catch(() => undefined);
    throw new Error('no instance list from the registry yet');
  });
  return discovery;
}

export function isRegistryClient(discovery: Discovery): discovery is RegistryClient {
  return typeof (discovery as Partial<RegistryClient>).register === 'function';
}

/** One cached client per service called, sharing the breakers; with the service's own token when it has one. */
export async function connectClients(
  basics: Basics<unknown>,
  discovery: Discovery,
  givenToken: ServiceTokenSource | undefined,
  tls: ServiceTls | undefined,
  stack: ResourceStack,
  perService?: Readonly<Record<string, ClientOptions>>,
): Promise<ClientRegistry> {
  const config: CommonConfig = basics.config;
  const { clock, log, metrics, tracer } = basics;
  const serviceToken = givenToken
    ? { source: givenToken, invalidate: () => undefined }
    : await ownServiceToken(config, basics.secrets, clock, () => clients.get(IDENTITY_SERVICE));
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
    ...(perService ? { perService: { ...perService } } : {}),
    ...(tls ? { tls } : {}),
  });
  stack.defer('the clients', () => clients.close());
  return clients;
}

/** The service's OAuth client credentials as a Basic `Authorization` header; undefined when it has none. */
export async function serviceClientAuthorization(config: CommonConfig, secrets: Secrets): Promise<string | undefined> {
  const clientId = config.SERVICE_CLIENT_ID;
  const secretFile = config.SERVICE_CLIENT_SECRET_FILE;
  if (!clientId && !secretFile) return undefined;
  if (!clientId) throw new Error('SERVICE_CLIENT_SECRET_FILE is set without SERVICE_CLIENT_ID: set both or neither');
  const secret = await secrets.read(SERVICE_CLIENT_SECRET, { variable: 'SERVICE_CLIENT_SECRET_FILE', path: secretFile });
  return basicCredentials(clientId, secret.trim());
}

/** The service's client_credentials token from identity, when the service has credentials. */
async function ownServiceToken(
  config: CommonConfig,
  secrets: Secrets,
  clock: Clock,
  identity: () => ServiceClient,
): Promise<CachedServiceToken | undefined> {
  const authorization = await serviceClientAuthorization(config, secrets);
  if (authorization === undefined) return undefined;
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

/** Registers the schemas of the events the service publishes; their ids go into each event's dataschema. */
export async function registerEventSchemas(
  basics: Basics<unknown>,
  publishes: readonly EventContract[],
  discovery: Discovery,
  clients: ClientRegistry,
  givenToken: ServiceTokenSource | undefined,
): Promise<Map<string, number>> {
  if (publishes.length === 0) return new Map();
  const config: CommonConfig = basics.config;
  if (!isRegistryClient(discovery) && discovery.instances(SCHEMA_REGISTRY_SERVICE).length === 0) {
    basics.log.warn('no schema registry in STATIC_SERVICES: event schemas are not registered and events carry no dataschema');
    return new Map();
  }
  return registerSchemas({
    client: clients.get(SCHEMA_REGISTRY_SERVICE),
    contracts: publishes,
    log: basics.log,
    waitMs: config.SCHEMA_REGISTRY_WAIT_MS,
    // Writes at the registry need a credential: the service's own token when it has one (else refused there, 401).
    asService: givenToken !== undefined || config.SERVICE_CLIENT_ID !== undefined,
  });
}

/** Callers' tokens checked against identity's key set, fetched on first use. */
export function createServiceAuth(basics: Basics<unknown>, clients: ClientRegistry): Auth {
  const config: CommonConfig = basics.config;
  // Fetched outside any request's context: the key set is shared, and the caller's token
  // and request id have no business on that call.
  let keySource: KeySource = () =>
    context.with(ROOT_CONTEXT, async () => {
      // IDENTITY_URL's instances, which must prove to be identity (SPIFFE id) when called by TLS.
      const res = await clients.get(IDENTITY_SERVICE).request<JSONWebKeySet>({ method: 'GET', path: '/.well-known/jwks.json' });
      return res.body;
    });
  // One verifier per audience (a service needs only its own; the gateway and identity also check users' tokens),
  // all on the same key set source.
  const verifiers = new Map<string, JwtVerifier>();
  const verifierFor = (audience: string): JwtVerifier => {
    let verifier = verifiers.get(audience);
    if (!verifier) {
      verifier = createJwtVerifier({
        keySource: () => keySource(),
        issuer: config.AUTH_ISSUER,
        audience,
        now: () => basics.clock.now(),
        tokenCacheSize: config.AUTH_TOKEN_CACHE_SIZE,
      });
      verifiers.set(audience, verifier);
    }
    return verifier;
  };
  return createAuth(config.AUTH_AUDIENCE, verifierFor, (source) => {
    keySource = source;
    for (const verifier of verifiers.values()) verifier.invalidate();
  });
}
