// Builds the Fastify application every service runs: instrumented raw server,
// problem+json errors, JSON and form bodies, and the built-in
// endpoints (/health/live, /health/ready, /metrics, /openapi.json, /_admin/resilience, /_admin/config).
// Two listeners share the routes: the public one refuses /metrics and /_admin/*,
// which only the admin listener (server/admin-server.ts) serves.

import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { ServiceTls } from '../tls/service-tls.ts';
import { useServerTls } from '../tls/server-tls.ts';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
} from 'fastify';
import swagger from '@fastify/swagger';
import secureJsonParse from 'secure-json-parse';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Context, Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { chassisErrors } from '../errors/codes.ts';
import type { HttpServerMetrics } from '../metrics.ts';
import { clientErrorResponse, installProblemHandlers, sendProblem } from './problems.ts';
import { parseFormBody, validatorCompiler } from './validation.ts';
import { instrumentHandler, setRoute, type RequestHandler } from './telemetry.ts';
import { adminRefusal, isAdminPath, isAdminRequest } from './admin-server.ts';

/**
 * Takes a raw request before Fastify does; returns true when it handled it.
 * `context` is the request's trace context (its SERVER span): the interceptor
 * runs outside it and carries it itself.
 */
export type Interceptor = (req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1], context: Context) => boolean;

/** The Fastify instance services register routes on (TypeBox schemas give typed requests). */
export type App = FastifyInstance<
  Server,
  RawRequestDefaultExpression<Server>,
  RawReplyDefaultExpression<Server>,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface AppOptions {
  service: string;
  version: string;
  log: Logger;
  tracer: Tracer;
  metrics: Registry;
  httpMetrics: HttpServerMetrics;
  bodyLimit: number;
  /** A request taking longer is logged at info (LOG_SLOW_REQUEST_MS); the others at debug. */
  slowRequestMs: number;
  /** Named readiness checks; each throws to report not ready. */
  readiness: Map<string, () => Promise<void>>;
  /** Shutdown began: /health/ready fails so that no new traffic is sent here. */
  isDraining: () => boolean;
  /** The server is closing: new requests are refused while in-flight ones finish. */
  isClosing: () => boolean;
  resilienceSnapshot: () => unknown;
  /** The settings in effect and where they came from (config server, cache), for /_admin/config. */
  settingsSnapshot: () => unknown;
  /**
   * Lets a service (the gateway) answer some requests before Fastify routes
   * them: `current` returns true when it took the request. Set during setup.
   */
  preRoute: { current?: Interceptor };
  /** Serve HTTPS with mutual TLS under this identity (rotated in place); plain HTTP when absent. */
  tls?: ServiceTls;
}

const CHECK_TIMEOUT_MS = 2_000;

/** The application and the request listener its admin server runs (`createAdminServer`). */
export interface CreatedApp {
  app: App;
  /** Fastify's handler, instrumented, without the public interceptor: for the admin listener only. */
  adminHandler: RequestListener;
}

const noInterceptor: Interceptor = () => false;

export async function createApp(options: AppOptions): Promise<CreatedApp> {
  let adminHandler: RequestListener | undefined;
  const app = Fastify({
    loggerInstance: options.log,
    // One line per request is written below Fastify (server/telemetry.ts, with route and duration), not Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    bodyLimit: options.bodyLimit,
    return503OnClosing: false,
    clientErrorHandler: (err, socket) => {
      // A reset or a half-written request cannot be answered; anything else gets a problem document.
      if ((err as { code?: string }).code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
      socket.end(clientErrorResponse(err));
    },
    // Errors Fastify raises before routing (bad percent-encoding, overlong parameters) are problems too.
    frameworkErrors: (error, request, reply) => {
      const path = request.url.split('?')[0] ?? '/';
      const err =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? chassisErrors.uriTooLong({ detail: 'A path segment is longer than any endpoint accepts.', cause: error })
          : chassisErrors.invalidRequest({ detail: 'The URL is not valid: check its percent-encoding.', cause: error });
      void sendProblem(reply, err, path);
    },
    forceCloseConnections: 'idle',
    // Ids come from x-request-id (generated below Fastify when absent), so logs and clients agree.
    genReqId: (req) => String(req.headers['x-request-id'] ?? ''),
    serverFactory: (handler) => {
      const { preRoute } = options;
      const intercept: Interceptor = (req, res, context) => preRoute.current?.(req, res, context) ?? false;
      const telemetry = {
        tracer: options.tracer,
        metrics: options.httpMetrics,
        log: options.log,
        slowRequestMs: options.slowRequestMs,
      };
      adminHandler = instrumentHandler(handler, telemetry, noInterceptor);
      const handle = instrumentHandler(handler, telemetry, intercept);
      if (!options.tls) return createServer({ keepAliveTimeout: 65_000 }, handle);
      const serverTls = useServerTls(options.tls);
      const server = createHttpsServer({ keepAliveTimeout: 65_000, ...serverTls.options }, handle);
      const detach = serverTls.attach(server);
      server.once('close', detach);
      return server;
    },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  installProblemHandlers(app);
  app.setValidatorCompiler(validatorCompiler);
  // JSON (and forms, below) only: a text/plain body is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  // Fastify's own JSON parser drops the reason; a client fixing its request wants it.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    if (body === '') return done(chassisErrors.malformedJson('The body is empty but was sent as JSON.'), undefined);
    try {
      // Refuses __proto__ and constructor.prototype keys instead of letting them pollute prototypes.
      done(null, secureJsonParse.parse(body, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (err) {
      done(
        chassisErrors.malformedJson({ detail: `The body is not valid JSON: ${(err as Error).message}.`, cause: err }),
        undefined,
      );
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, parseFormBody(body as string));
  });

  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    setRoute(reply.raw, route ?? 'unmatched');
    const refusal = adminRefusal(request.raw);
    if (refusal !== undefined) throw chassisErrors.forbidden(refusal);
    // Each listener answers only its own routes, and anything else like an unknown path (health is on both).
    if (route !== undefined && isAdminPath(route) !== isAdminRequest(request.raw) && !route.startsWith('/health/')) {
      throw chassisErrors.routeNotFound(`No route for ${request.method} ${request.url.split('?')[0] ?? '/'}.`);
    }
    if (options.isClosing() && !request.url.startsWith('/health/')) {
      reply.header('connection', 'close');
      throw chassisErrors.shuttingDown();
    }
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: `souk ${options.service}`, version: options.version },
    },
  });

  app.get('/health/live', { schema: { hide: true } }, async () => ({ status: 'up' }));
  // Public: ready or not, nothing more (a failing check's text names hosts and drivers). Admin: each check.
  app.get('/health/ready', { schema: { hide: true } }, async (request, reply) => {
    if (options.isDraining()) return sendProblem(reply, chassisErrors.shuttingDown(), '/health/ready');
    const detailed = isAdminRequest(request.raw);
    const checks: Record<string, string> = {};
    let ok = true;
    await Promise.all(
      [...options.readiness].map(async ([name, check]) => {
        try {
          await withTimeout(check(), CHECK_TIMEOUT_MS);
          checks[name] = 'up';
        } catch (err) {
          ok = false;
          checks[name] = `down: ${err instanceof Error ? err.message : String(err)}`;
        }
      }),
    );
    if (!ok) {
      request.log.warn({ checks }, 'not ready');
      return sendProblem(
        reply,
        chassisErrors.notReady({ detail: 'A readiness check failed.', ...(detailed ? { extensions: { checks } } : {}) }),
        '/health/ready',
      );
    }
    return detailed ? { status: 'up', checks } : { status: 'up' };
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(options.metrics.contentType);
    return options.metrics.metrics();
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/_admin/resilience', { schema: { hide: true } }, async () => options.resilienceSnapshot());
  app.get('/_admin/config', { schema: { hide: true } }, async () => options.settingsSnapshot());
  if (!adminHandler) throw new Error('Fastify did not call the server factory');
  return { app, adminHandler };
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
