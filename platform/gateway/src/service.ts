// The gateway service: the chassis serves health, OpenAPI and the front ends
// through Fastify (metrics and /_admin on its admin listener), while the proxy
// takes /api/ and /.well-known/ requests from the raw public server before
// Fastify's router sees them.

import { loadConsoleFiles, registerConsoleRoutes } from './console-files.ts';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import {
  createTokenExchanger,
  defineService,
  type CommonSettings,
  IDENTITY_TOKEN_PATH,
  type ServiceContext,
  serviceClientAuthorization,
  tokenExchangeRequest,
  type TokenAnswer,
} from '@souk/chassis';
import { createHomePage } from './home/home-page.ts';
import { logHomeFailure, registerHomeRoute } from './home/home-route.ts';
import { createHomeSources } from './home/home-sources.ts';
import { createProxy } from './proxy.ts';
import { localApiPrefixes, routes } from './routes.ts';
import { createLiveRouter } from './live-routes.ts';
import { createUpstreamCall, type UpstreamTuning } from './upstream-call.ts';
import { createUpstreamPools } from './upstream-pools.ts';
import { GatewayConfig } from './config.ts';
import { applyEdgeLimits } from './edge-limits.ts';
import { createEdgeTls, type EdgeTls } from './edge-tls.ts';
import { createGatewayRateLimiter, rateLimitedCounter } from './rate-limit/setup.ts';
import { CORS_POINTER, GatewaySettings, RATE_LIMITS_POINTER, RESPONSE_CACHE_POINTER } from './settings.ts';
import { createEdgeCache } from './response-cache/setup.ts';
import { createGatewayReleases } from './releases/setup.ts';
import { checkOrigin, createCors, parseOrigins, type Cors } from './cors.ts';
import type { Static } from 'typebox';

/** Opening a TCP connection on a healthy network takes milliseconds; waiting longer only delays the retry elsewhere. */
const CONNECT_TIMEOUT_MS = 2_000;
/** Token exchanges (and other calls to identity) waiting for one of the 32 connections. */
const EXCHANGE_QUEUE = 2_000;

export const gatewayService = defineService({
  name: 'gateway',
  version: '0.1.0',
  config: GatewayConfig,
  // Every user's first request waits for its token exchange: a burst of new users (or every user after a
  // restart) must queue for identity rather than be refused by the usual bulkhead of 32 + 64.
  clients: { identity: { bulkheadQueue: EXCHANGE_QUEUE } },
  // :8080 is the public edge, plain HTTP; the gateway's certificate serves its calls upstream.
  publicEdge: true,
  // Rate limits, CORS origins, the response cache and releases (canary, blue/green), live from the config server
  // (GATEWAY_RATE_LIMITS, GATEWAY_CORS_ORIGINS and GATEWAY_RESPONSE_CACHE pin theirs).
  settings: GatewaySettings,
  pinnedSettings: (env) => [
    ...(env.GATEWAY_RATE_LIMITS ? [RATE_LIMITS_POINTER] : []),
    ...(env.GATEWAY_CORS_ORIGINS !== undefined ? [CORS_POINTER] : []),
    ...(env.GATEWAY_RESPONSE_CACHE !== undefined ? [RESPONSE_CACHE_POINTER] : []),
  ],
  async setup(ctx) {
    const { config } = ctx;
    // HTTPS beside plain HTTP when asked for, on the gateway's own certificate.
    const edgeTls = config.GATEWAY_TLS_PORT === undefined ? undefined : createGatewayEdgeTls(ctx, config.GATEWAY_TLS_PORT);
    // The public listeners face the Internet; the admin listener (metrics, /_admin) does not and keeps the chassis' settings.
    applyEdgeLimits(
      edgeTls ? [ctx.app.server, edgeTls.server] : [ctx.app.server],
      {
        headersTimeoutMs: config.GATEWAY_HEADERS_TIMEOUT_MS,
        requestTimeoutMs: config.GATEWAY_REQUEST_TIMEOUT_MS,
        keepAliveTimeoutMs: config.GATEWAY_KEEP_ALIVE_TIMEOUT_MS,
        maxConnectionsPerIp: config.GATEWAY_MAX_CONNECTIONS_PER_IP,
        maxConnections: config.GATEWAY_MAX_CONNECTIONS,
      },
      ctx.metrics,
    );
    // The route table: code's, with the live `routes` setting over it.
    const router = createLiveRouter(routes, localApiPrefixes);
    const configureRoutes = (settings: GatewaySettings) => {
      for (const why of router.configure(settings.routes)) ctx.log.warn(`routes setting: a route left out: ${why}`);
    };
    configureRoutes(ctx.settings.current() as GatewaySettings);
    ctx.settings.onChange((settings) => configureRoutes(settings as GatewaySettings));
    /** The services the routes in effect send to. */
    const routedServices = () => [...new Set(router.routes().map((r) => r.service))];
    const { tls } = ctx;
    const pools = createUpstreamPools(
      { connections: config.GATEWAY_UPSTREAM_CONNECTIONS, connectTimeoutMs: CONNECT_TIMEOUT_MS },
      tls
        ? {
            tls,
            // At connect time only: which service discovery lists at the origin the connection is for.
            serviceOf: (origin) =>
              routedServices().find((s) => ctx.discovery.instances(s).some((i) => new URL(i.url).origin === origin)),
          }
        : undefined,
    );
    const releases = createGatewayReleases(ctx);
    const upstream = createUpstreamCall({
      discovery: ctx.discovery,
      // The process's shared breakers: /_admin/resilience shows the gateway's next to the clients'.
      breakers: ctx.breakers,
      pools,
      metrics: ctx.metrics,
      clock: ctx.clock,
      timeoutMs: config.GATEWAY_UPSTREAM_TIMEOUT_MS,
      maxAttempts: config.GATEWAY_ATTEMPTS,
      retryAfterSeconds: config.GATEWAY_RETRY_AFTER_SECONDS,
      releases,
    });
    // Attempts and timeouts of proxied calls: the common `clients` setting, live, over GATEWAY_UPSTREAM_TIMEOUT_MS
    // and GATEWAY_ATTEMPTS.
    const tuneUpstream = (settings: { clients?: CommonSettings['clients'] }) => {
      const { services, ...all } = settings.clients ?? {};
      upstream.tune(all, services as Record<string, UpstreamTuning> | undefined);
    };
    tuneUpstream(ctx.settings.current());
    ctx.settings.onChange(tuneUpstream);

    // Users' tokens are traded at identity for internal ones (RFC 8693), on the gateway's own client credentials.
    const clientAuthorization = await serviceClientAuthorization(ctx.config, ctx.secrets);
    if (clientAuthorization === undefined)
      throw new Error('the gateway needs its OAuth client (SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET_FILE) to exchange tokens');
    const exchanger = createTokenExchanger({
      now: () => ctx.clock.now(),
      maxEntries: config.AUTH_TOKEN_CACHE_SIZE,
      // Outside the request's context: the user's token and request id have no business on this call.
      fetchToken: (subjectToken, clientAddress) =>
        context.with(ROOT_CONTEXT, async () => {
          const res = await ctx.client('identity').request<TokenAnswer>({
            method: 'POST',
            path: IDENTITY_TOKEN_PATH,
            // Identity budgets token requests per client address: the user's, not the gateway's own.
            headers: {
              authorization: clientAuthorization,
              ...(clientAddress !== undefined ? { 'x-forwarded-for': clientAddress } : {}),
            },
            body: tokenExchangeRequest(subjectToken, config.AUTH_AUDIENCE),
          });
          return res.body;
        }),
    });
    // The chassis verifier of users' tokens: identity's JWKS through discovery, cached, refetched on an unknown key.
    const users = ctx.auth.forAudience(config.AUTH_EXTERNAL_AUDIENCE);

    const limiter = await createGatewayRateLimiter(ctx);
    const cors = createGatewayCors(ctx);

    ctx.interceptRequests(
      createProxy({
        router,
        upstream,
        verifier: users,
        exchanger,
        log: ctx.log,
        bodyLimitBytes: config.BODY_LIMIT_BYTES,
        bodyBufferBytes: config.GATEWAY_BODY_BUFFER_BYTES,
        isClosing: () => ctx.isClosing(),
        limiter,
        onRateLimited: rateLimitedCounter(ctx),
        cors,
        cache: createEdgeCache(ctx),
        releases,
      }),
    );

    // The operations console (web/console), when the devhost built it.
    if (config.GATEWAY_CONSOLE_DIR) registerConsoleRoutes(ctx.app, await loadConsoleFiles(config.GATEWAY_CONSOLE_DIR));

    const timeouts = {
      featuredMs: config.GATEWAY_HOME_CATALOG_TIMEOUT_MS,
      cartMs: config.GATEWAY_HOME_CART_TIMEOUT_MS,
      recommendationsMs: config.GATEWAY_HOME_RECOMMENDATIONS_TIMEOUT_MS,
    };
    registerHomeRoute(
      ctx,
      { users, exchanger },
      createHomePage({
        sources: createHomeSources({
          client: (service) => ctx.client(service),
          timeouts,
          featuredCount: config.GATEWAY_HOME_FEATURED_COUNT,
          recommendationsLimit: config.GATEWAY_HOME_RECOMMENDATIONS_LIMIT,
        }),
        timeouts,
        clock: ctx.clock,
        fallbackLimit: config.GATEWAY_HOME_RECOMMENDATIONS_LIMIT,
        onFailure: logHomeFailure(ctx.log),
      }),
    );

    // Drop the pools and breakers of instances that left, so sockets to dead addresses
    // and breaker rows (and their metric series) do not pile up across restarts.
    const unsubscribe = ctx.discovery.onChange(() => {
      const services = routedServices();
      const live = services.flatMap((s) => ctx.discovery.instances(s));
      pools.retain(live.map((i) => i.url));
      const liveIds = new Set(live.map((i) => `${i.service}/${i.instanceId}`));
      for (const b of ctx.breakers.snapshot()) {
        if (services.includes(b.service) && !liveIds.has(`${b.service}/${b.instanceId}`))
          ctx.breakers.remove(b.service, b.instanceId);
      }
    });
    ctx.onClose(async () => {
      unsubscribe();
      await pools.close();
    });
  },
});

/** The HTTPS listener, listening once the app is ready (a port in use stops the start), closed with the gateway. */
function createGatewayEdgeTls(ctx: ServiceContext<Static<typeof GatewayConfig>>, port: number): EdgeTls {
  if (!ctx.tls)
    throw new Error("GATEWAY_TLS_PORT needs the gateway's certificate and key (TLS_CERT_FILE, TLS_KEY_FILE, TLS_CA_FILE)");
  const edge = createEdgeTls(ctx.tls, ctx.app.server);
  ctx.app.addHook('onReady', async () => {
    const url = await edge.listen(ctx.config.HOST, port);
    ctx.log.info({ url }, `HTTPS at ${url.replace('127.0.0.1', 'localhost')} (TLS terminated at the gateway)`);
  });
  ctx.onClose(() => edge.close());
  return edge;
}

/** The allowed origins: pinned by GATEWAY_CORS_ORIGINS, else the live setting (an origin it cannot parse is left out, and said). */
function createGatewayCors(ctx: ServiceContext<Static<typeof GatewayConfig>>): Cors {
  const pinned = ctx.config.GATEWAY_CORS_ORIGINS;
  if (pinned !== undefined) return createCors(parseOrigins(pinned));
  const valid = (settings: GatewaySettings) =>
    (settings.cors?.origins ?? []).filter((origin) => {
      try {
        checkOrigin(origin);
        return true;
      } catch (err) {
        ctx.log.warn({ origin }, `CORS origin left out: ${(err as Error).message}`);
        return false;
      }
    });
  const cors = createCors(valid(ctx.settings.current() as GatewaySettings));
  ctx.settings.onChange((settings) => cors.configure(valid(settings as GatewaySettings)));
  return cors;
}
