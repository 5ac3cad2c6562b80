// The gateway's hot path: requests for /api/ and /.well-known/ are taken from
// the raw Node server before Fastify routes them, checked (path, token, body
// size) and forwarded upstream; every refusal is problem+json. A user's token
// never goes further than here: it is exchanged at identity for an internal
// one (RFC 8693), which is what the service gets.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { trace, type Context } from '@opentelemetry/api';
import {
  bearerToken,
  chassisErrors,
  isRepeatable,
  isSoukError,
  noteFailure,
  setRoute,
  toSoukError,
  type JwtVerifier,
  type Logger,
  type SoukError,
  type TokenExchanger,
} from '@souk/chassis';
import { gatewayErrors } from './errors.ts';
import { writeProblem } from './problem-response.ts';
import { BodyError, bodyPlan, hasBody, readBody } from './request-body.ts';
import {
  encodesUnreserved,
  hasDotSegment,
  preferredWaitSeconds,
  rateClassOf,
  requiresToken,
  type RouteMatch,
  type Router,
} from './routes.ts';
import { refusalHeaders } from './rate-limit/policy.ts';
import type { RateLimiter, Refusal } from './rate-limit/limiter.ts';
import type { Cors } from './cors.ts';
import { ANSWERED, type EdgeCache } from './response-cache/setup.ts';
import type { UpstreamCall } from './upstream-call.ts';
import type { ReleaseController } from './releases/controller.ts';

export interface ProxyDeps {
  router: Router;
  upstream: UpstreamCall;
  /** Checks users' tokens (the external audience). */
  verifier: Pick<JwtVerifier, 'verify' | 'verifyCached'>;
  /** Trades a verified user's token for the internal one sent upstream. */
  exchanger: Pick<TokenExchanger, 'cached' | 'exchange'>;
  log: Logger;
  bodyLimitBytes: number;
  /** Bodies up to this are read whole (retryable elsewhere); larger ones with a Content-Length stream. */
  bodyBufferBytes: number;
  /** True once shutdown began: new proxied requests are refused so that clients go elsewhere. */
  isClosing: () => boolean;
  /** Token buckets per caller and rate class; counted once the caller is known (its token checked, not yet exchanged). */
  limiter: Pick<RateLimiter, 'check'>;
  /** Counts a refusal by rate class. */
  onRateLimited: (cls: string) => void;
  /** Preflights and the headers of answers to other origins' scripts. */
  cors: Pick<Cors, 'handle'>;
  /** Anonymous GETs of routes marked `cache`. */
  cache: EdgeCache;
  /** The release a caller is meant for (a cache key part). */
  releases: Pick<ReleaseController, 'sideOf'>;
}

/**
 * Takes a raw request with its trace context; returns false when it is not the
 * proxy's (health, metrics, admin: Fastify serves those).
 */
export type Proxy = (req: IncomingMessage, res: ServerResponse, parent: Context) => boolean;

const UNMATCHED = 'unmatched';
const BEARER = /^bearer\s/i;
const QUIET_CODES: ReadonlySet<string> = new Set([
  gatewayErrors.circuitOpen.code,
  gatewayErrors.noInstance.code,
  chassisErrors.shuttingDown.code,
]);

export function createProxy(deps: ProxyDeps): Proxy {
  const { router, upstream, verifier, exchanger, log, limiter } = deps;

  /** The caller a rate limit counts and a canary takes or not: the user of a verified token, else the client's address. */
  function callerOf(req: IncomingMessage): string {
    const header = req.headers.authorization;
    // Basic credentials (identity's token endpoint) name a client, not a user: counted by address.
    if (header !== undefined && BEARER.test(header)) {
      // Checked already (a malformed Bearer header was refused before): the verifier has it cached.
      const user = verifier.verifyCached(bearerToken(header)!);
      if (user !== undefined) return `user ${user.subject}`;
    }
    return `address ${req.socket.remoteAddress ?? ''}`;
  }

  function refuse(refusal: Refusal): never {
    deps.onRateLimited(refusal.cls);
    throw gatewayErrors.rateLimited({
      detail: `Over the ${refusal.cls} rate limit (${refusal.limit.perSecond}/s, bursts of ${refusal.limit.burst}).`,
      headers: refusalHeaders(refusal.cls, refusal.limit, refusal.retryAfterMs),
    });
  }

  /**
   * The user's bearer token to trade (required on protected routes, checked whenever one is sent), checked
   * here (its signature, expiry, audience): a token seen before is in the verifier's cache and costs no
   * promise. Undefined: the client's header (none, or Basic client credentials) goes on as it is.
   */
  function bearerOf(header: string | undefined, required: boolean): string | Promise<string> | undefined {
    if (!required && (header === undefined || !BEARER.test(header))) return undefined;
    const token = bearerToken(header);
    if (!token) throw chassisErrors.tokenMissing({ headers: { 'www-authenticate': 'Bearer' } });
    if (verifier.verifyCached(token)) return token;
    return verifier.verify(token).then(() => token);
  }

  /**
   * The `Authorization` sent upstream for a verified user's token: the internal token it is exchanged for
   * (the roles and ownership are the service's business); at once when it was exchanged before.
   */
  function internalAuthorization(token: string, clientAddress: string | undefined): string | Promise<string> {
    const internal = exchanger.cached(token);
    if (internal !== undefined) return `Bearer ${internal}`;
    return exchanger.exchange(token, clientAddress).then((exchanged) => `Bearer ${exchanged}`);
  }

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    target: string,
    match: RouteMatch,
    parent: Context,
  ): Promise<void> {
    if (match.kind !== 'route') {
      setRoute(res, UNMATCHED);
      throw chassisErrors.routeNotFound(`No service serves ${pathOf(target)}.`);
    }
    const { route } = match;
    setRoute(res, route.prefix);
    if (deps.isClosing()) throw chassisErrors.shuttingDown({ headers: { connection: 'close' } });
    if (hasDotSegment(target)) throw chassisErrors.invalidRequest('The path must not contain "." or ".." segments.');
    if (encodesUnreserved(target))
      throw chassisErrors.invalidRequest('The path must not percent-encode letters, digits or "-._~": send them as they are.');
    const method = req.method ?? 'GET';
    // Token checked, then the caller's limit, then the exchange: a caller over its limit costs identity nothing.
    const bearer = bearerOf(req.headers.authorization, requiresToken(route, method));
    const token = typeof bearer === 'object' ? await bearer : bearer;
    // Within its limit the answer is at hand (no promise); a caller's first request of a lease awaits the store.
    const caller = callerOf(req);
    const checked = limiter.check(rateClassOf(route, method), caller);
    const refusal = checked instanceof Promise ? await checked : checked;
    if (refusal !== undefined) refuse(refusal);
    const exchanged = token === undefined ? undefined : internalAuthorization(token, req.socket.remoteAddress);
    const authorization = typeof exchanged === 'object' ? await exchanged : exchanged;
    // Anonymous reads of the catalogue: answered at the edge, or recorded on their way back to be.
    // Kept per release while a canary or blue/green plan names the service: a canary's answer is not the stable one's.
    const side = route.cache === true ? deps.releases.sideOf(route.service, caller) : '';
    const recorder =
      route.cache === true && method === 'GET' && req.headers.authorization === undefined
        ? deps.cache.serve(req, res, side === '' ? target : `${side} ${target}`)
        : undefined;
    if (recorder === ANSWERED) return;
    // Most requests have no body: skip the promise and the turn of the event loop.
    let body: Buffer | undefined;
    let streamedLength: number | undefined;
    if (hasBody(req)) {
      const plan = bodyPlan(req, deps.bodyBufferBytes, deps.bodyLimitBytes);
      if (plan.kind === 'stream') streamedLength = plan.length;
      else body = await readBody(req, plan.limit);
    }
    const idempotencyKey = req.headers['idempotency-key'];
    // A client that asked the service to wait for a result (a checkout) gets that long on top of the usual timeout.
    const waitSeconds = preferredWaitSeconds(route, req.headers.prefer);
    await upstream.send({
      service: route.service,
      req,
      res,
      body,
      streamedLength,
      // The chassis server accepted the client's id or generated one before calling us.
      requestId: String(req.headers['x-request-id']),
      caller,
      ...(authorization !== undefined ? { authorization } : {}),
      repeatable: isRepeatable(method, typeof idempotencyKey === 'string' ? idempotencyKey : undefined),
      parent,
      extraWaitMs: waitSeconds * 1000,
      recorder,
    });
  }

  function fail(req: IncomingMessage, res: ServerResponse, target: string, err: unknown, parent: Context): void {
    let error: SoukError;
    if (err instanceof BodyError) {
      if (err.reason === 'aborted') return void res.destroy();
      const close = err.closeConnection ? { headers: { connection: 'close' } } : {};
      error =
        req.headers['transfer-encoding'] !== undefined && deps.bodyBufferBytes < deps.bodyLimitBytes
          ? gatewayErrors.chunkedBodyTooLarge({
              detail: `A chunked request body may be at most ${deps.bodyBufferBytes} bytes; send a Content-Length (up to ${deps.bodyLimitBytes} bytes).`,
              ...close,
            })
          : chassisErrors.bodyTooLarge({ detail: `The request body exceeds ${deps.bodyLimitBytes} bytes.`, ...close });
    } else {
      error = toSoukError(err);
    }
    const traceId = trace.getSpan(parent)?.spanContext().traceId;
    if (!isSoukError(err) && !(err instanceof BodyError)) {
      log.error({ err, trace_id: traceId, url: target }, 'gateway failed unexpectedly');
    } else if (error.status >= 500) {
      // An open circuit or a missing service repeats for every request; the breaker and discovery already logged the cause.
      const level = QUIET_CODES.has(error.code) ? 'debug' : 'warn';
      log[level]({ code: error.code, detail: error.detail, trace_id: traceId, method: req.method, url: target }, error.title);
    }
    // Traced even when the request was not sampled (a late error span, recorded when the response ends).
    if (error.status >= 500) noteFailure(res, err, error.code);
    if (res.headersSent) return void res.destroy();
    writeProblem(res, error, pathOf(target), traceId);
  }

  return (req, res, parent) => {
    // A browser's preflight is answered here, before tokens and limits (it carries neither).
    if (req.headers.origin !== undefined && deps.cors.handle(req, res)) return true;
    const target = req.url ?? '/';
    const match = router.match(target);
    if (match.kind === 'local') return false;
    // `parent` holds the SERVER span: carried explicitly for trace propagation and the problems' traceId.
    handle(req, res, target, match, parent).catch((err: unknown) => fail(req, res, target, err, parent));
    return true;
  };
}

function pathOf(target: string): string {
  const q = target.indexOf('?');
  return q === -1 ? target : target.slice(0, q);
}
