// The gateway service: the chassis serves health, metrics, OpenAPI and admin
// routes through Fastify, while the proxy takes /api/ and /.well-known/
// requests from the raw server before Fastify's router sees them.

import { defineService } from '@souk/chassis';
import { createHomePage } from './home/home-page.ts';
import { logHomeFailure, registerHomeRoute } from './home/home-route.ts';
import { createHomeSources } from './home/home-sources.ts';
import { createProxy } from './proxy.ts';
import { createRouter, localApiPrefixes, routes } from './routes.ts';
import { createUpstreamCall } from './upstream-call.ts';
import { createUpstreamPools } from './upstream-pools.ts';
import { GatewayConfig } from './config.ts';

/** Opening a TCP connection on a healthy network takes milliseconds; waiting longer only delays the retry elsewhere. */
const CONNECT_TIMEOUT_MS = 2_000;

export const gatewayService = defineService({
  name: 'gateway',
  version: '0.1.0',
  config: GatewayConfig,
  // :8080 is the public edge, plain HTTP; the gateway's certificate serves its calls upstream.
  publicEdge: true,
  async setup(ctx) {
    const { config } = ctx;
    const services = [...new Set(routes.map((r) => r.service))];
    const { tls } = ctx;
    const pools = createUpstreamPools(
      { connections: config.GATEWAY_UPSTREAM_CONNECTIONS, connectTimeoutMs: CONNECT_TIMEOUT_MS },
      tls
        ? {
            tls,
            // At connect time only: which service discovery lists at the origin the connection is for.
            serviceOf: (origin) => services.find((s) => ctx.discovery.instances(s).some((i) => new URL(i.url).origin === origin)),
          }
        : undefined,
    );
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
    });

    ctx.interceptRequests(
      createProxy({
        router: createRouter(routes, localApiPrefixes),
        upstream,
        // The chassis verifier: identity's JWKS through discovery, cached, refetched on an unknown key.
        verifier: ctx.auth,
        log: ctx.log,
        bodyLimitBytes: config.BODY_LIMIT_BYTES,
        upstreamTimeoutMs: config.GATEWAY_UPSTREAM_TIMEOUT_MS,
        isClosing: () => ctx.isClosing(),
      }),
    );

    const timeouts = {
      featuredMs: config.GATEWAY_HOME_CATALOG_TIMEOUT_MS,
      cartMs: config.GATEWAY_HOME_CART_TIMEOUT_MS,
      recommendationsMs: config.GATEWAY_HOME_RECOMMENDATIONS_TIMEOUT_MS,
    };
    registerHomeRoute(
      ctx,
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
